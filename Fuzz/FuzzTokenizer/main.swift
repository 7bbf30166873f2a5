import FuzzSupport

FuzzDriver.run(fuzzTokenizer)
