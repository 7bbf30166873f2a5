import FuzzSupport

// Build the tokenizer before fuzzing starts: its construction (tens of thousands of merges, slower
// still under ASan and coverage instrumentation) would otherwise count against the first input's
// timeout.
_ = tokenizerUnderTest.vocabularySize
_ = representableBytes.count
FuzzDriver.run(fuzzTokenizer)
