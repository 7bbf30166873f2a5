import Testing
@testable import Tokenizer

/// A small byte-level vocabulary where each byte is its own token, so ids can cut characters anywhere.
func byteVocabularyTokenizer() throws -> Tokenizer {
    let tokens = (0..<256).map { b in
        String(String.UnicodeScalarView([Unicode.Scalar(ByteLevelAlphabet.scalarForByte[b])!]))
    } + ["<|end|>"]
    let types = Array(repeating: TokenType.normal, count: 256) + [.control]
    return try Tokenizer(vocabulary: TokenizerVocabulary(
        model: "gpt2", preTokenizer: "gpt-2", tokens: tokens, tokenTypes: types, merges: ["Ġ a"]))
}

@Suite struct StreamingDecoderTests {
    @Test func multiByteCharactersSplitAcrossTokensAreHeldUntilComplete() throws {
        let tokenizer = try byteVocabularyTokenizer()
        let text = "a€b🤖c日"
        let ids = tokenizer.encode(text)
        #expect(ids.count == text.utf8.count)  // one token per byte
        var stream = StreamingDecoder(tokenizer: tokenizer)
        var chunks: [String] = []
        for id in ids { chunks.append(stream.append(id)) }
        chunks.append(stream.flush())
        #expect(chunks.joined() == text)
        // "€" is E2 82 AC: nothing comes out until its third byte.
        #expect(chunks[1] == "" && chunks[2] == "" && chunks[3] == "€")
        // "🤖" is 4 bytes: released on the 4th.
        #expect(chunks[5] == "" && chunks[6] == "" && chunks[7] == "" && chunks[8] == "🤖")
        #expect(!chunks.contains { $0.unicodeScalars.contains("\u{FFFD}") })
    }

    @Test func flushReturnsAnIncompleteTailAsReplacementCharacter() throws {
        let tokenizer = try byteVocabularyTokenizer()
        var stream = StreamingDecoder(tokenizer: tokenizer)
        #expect(stream.append(Int32(0xE2)) == "")
        #expect(stream.append(Int32(0x82)) == "")
        #expect(stream.flush() == "\u{FFFD}")
        #expect(stream.flush() == "")
    }

    @Test func invalidBytesDoNotStallTheStream() throws {
        let tokenizer = try byteVocabularyTokenizer()
        var stream = StreamingDecoder(tokenizer: tokenizer)
        #expect(stream.append(Int32(0xFF)) == "\u{FFFD}")
        #expect(stream.append(Int32(0x41)) == "A")
    }

    @Test func controlTokensAreSkippedUnlessAsked() throws {
        let tokenizer = try byteVocabularyTokenizer()
        var skipping = StreamingDecoder(tokenizer: tokenizer)
        #expect(skipping.append(256) == "")
        var keeping = StreamingDecoder(tokenizer: tokenizer, skipSpecial: false)
        #expect(keeping.append(256) == "<|end|>")
        #expect(tokenizer.endOfGeneration == [256])
    }
}
