import Testing
@testable import Tokenizer

/// End-of-generation ids and BOS handling for a Llama-3-style vocabulary.
@Suite struct EndOfGenerationTests {
    /// 256 byte tokens, then Llama 3's special tokens (typed NORMAL on purpose, as in some conversions).
    func llama3Like(eotInMetadata: Int32? = nil) throws -> Tokenizer {
        let bytes = (0..<256).map { b in
            String(String.UnicodeScalarView([Unicode.Scalar(ByteLevelAlphabet.scalarForByte[b])!]))
        }
        let specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>"]
        let types = Array(repeating: TokenType.normal, count: 256) + [.control, .control, .control, .control, .normal, .normal]
        return try Tokenizer(vocabulary: TokenizerVocabulary(
            model: "gpt2", preTokenizer: "llama-bpe", tokens: bytes + specials + ["Ġa"], tokenTypes: types + [.normal],
            merges: ["Ġ a"], bosID: 256, eosID: 257, eotID: eotInMetadata))
    }

    @Test func eotAndEomAreFoundByTextAndJoinEOSInTheSet() throws {
        let t = try llama3Like()
        #expect(t.eotID == 260)
        #expect(t.eomID == 261)
        #expect(t.endOfGeneration == [257, 260, 261])
        #expect(t.tokenType(260) == .control)  // forced, like llama.cpp
        #expect(t.decode([97, 260]) == "a")
        #expect(t.decode([97, 260], skipSpecial: false) == "a<|eot_id|>")
    }

    @Test func eotFromMetadataWins() throws {
        let t = try llama3Like(eotInMetadata: 258)
        #expect(t.eotID == 258)
        #expect(t.endOfGeneration.isSuperset(of: [257, 258, 260]))
    }

    @Test func llama3ChatPromptGetsBOSFromTheTokenizer() throws {
        let t = try llama3Like()
        #expect(t.addBOS)  // llama-bpe default
        let text = try ChatTemplate(format: .llama3).render([.user("a")], addGenerationPrompt: true)
        let ids = t.encode(text, addSpecial: true)
        #expect(Array(ids.prefix(2)) == [256, 258])
        #expect(ids.contains(262) == false)  // "a" after "\n\n" has no leading space
        #expect(ids.last == 10 && ids[ids.count - 2] == 10)  // "\n\n" as two byte tokens
        #expect(t.encode(" a a") == [262, 262])
    }
}
