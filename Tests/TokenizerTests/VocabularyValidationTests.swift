import Testing
@testable import Tokenizer

/// Bad vocabularies are refused with an error that names the field.
@Suite struct VocabularyValidationTests {
    let tokens = ["a", "b", "ab", "Ġ"]

    @Test func inconsistentOrUnsupportedVocabulariesThrowNamingTheField() {
        #expect(throws: TokenizerError.unsupportedModel("bert")) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "bert", tokens: tokens))
        }
        #expect(throws: TokenizerError.unsupportedPreTokenizer("mystery")) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "gpt2", preTokenizer: "mystery", tokens: tokens, merges: ["a b"]))
        }
        #expect(throws: TokenizerError.invalidVocabulary(field: "tokenizer.ggml.merges", reason: "missing or empty (required for gpt2)")) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "gpt2", preTokenizer: "gpt-2", tokens: tokens))
        }
        #expect(throws: TokenizerError.invalidVocabulary(field: "tokenizer.ggml.token_type", reason: "1 entries for 4 tokens")) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "gpt2", preTokenizer: "gpt-2", tokens: tokens, tokenTypes: [.normal], merges: ["a b"]))
        }
        #expect(throws: TokenizerError.invalidVocabulary(field: "tokenizer.ggml.merges", reason: "entry 1 'ab' has no separating space")) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "gpt2", preTokenizer: "gpt-2", tokens: tokens, merges: ["a b", "ab"]))
        }
        #expect(throws: TokenizerError.invalidVocabulary(field: "tokenizer.ggml.scores", reason: "2 entries for 4 tokens")) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "llama", tokens: tokens, scores: [0, 1]))
        }
        #expect(throws: TokenizerError.invalidVocabulary(field: "tokenizer.ggml.tokens", reason: "empty")) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "llama", tokens: []))
        }
    }

    @Test func missingPreTokenizerFallsBackToDefaultWithAWarning() throws {
        let t = try Tokenizer(vocabulary: TokenizerVocabulary(model: "gpt2", tokens: tokens, merges: ["a b"]))
        #expect(t.warnings.count == 1)
        #expect(t.encode("ab a") == [2, 3, 0])
    }

    @Test func outOfRangeSpecialIDsAreIgnoredAndOutOfRangeTokensDecodeToNothing() throws {
        let t = try Tokenizer(vocabulary: TokenizerVocabulary(model: "gpt2", preTokenizer: "gpt-2", tokens: tokens, merges: ["a b"], bosID: 99, eosID: -1))
        #expect(t.bosID == nil && t.eosID == nil)
        #expect(t.decode([2, 1000, -5, 3]) == "ab ")
        #expect(t.piece(1000) == [])
        #expect(t.tokenType(-1) == nil)
    }
}

/// llama.cpp's `clean_spaces` pass applied by `decode` for gpt-2, llama-bpe and default vocabularies.
@Suite struct CleanSpacesTests {
    func clean(_ s: String) -> String { String(decoding: Tokenizer.cleanSpaces(Array(s.utf8)), as: UTF8.self) }

    @Test func spaceBeforePunctuationAndContractionsIsRemoved() {
        #expect(clean("Hello , world ! Really ? Yes .") == "Hello, world! Really? Yes.")
        #expect(clean("it 's I 'm we 're they 've") == "it's I'm we're they've")
        #expect(clean("don 't I 'd") == "don 't I 'd")  // llama.cpp leaves 't and 'd alone
        #expect(clean("a ' b") == "a'b")
        #expect(clean("") == "")
    }
}
