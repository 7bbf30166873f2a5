import Foundation
import Testing
import GGUF
@testable import Tokenizer

/// Reading the vocabulary from GGUF metadata: wrong or missing keys give errors naming the key and file.
@Suite struct GGUFVocabularyTests {
    func fixture(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
            .appendingPathComponent("vocab").appendingPathComponent(name).path
    }

    func error(loading name: String) throws -> TokenizerError? {
        let path = try fixture(name)
        do {
            _ = try Tokenizer(ggufPath: path)
            return nil
        } catch let e as TokenizerError {
            return e
        }
    }

    @Test(arguments: [
        ("bad-tokens-type.gguf", "tokenizer.ggml.tokens", "expected array of strings"),
        ("bad-no-model.gguf", "tokenizer.ggml.model", "missing"),
        ("bad-token-type-value.gguf", "tokenizer.ggml.token_type", "entry 1 is 9"),
        ("bad-model-type.gguf", "tokenizer.ggml.model", "expected string, found uint32"),
    ])
    func malformedTokenizerMetadataIsAnErrorNamingTheKey(file: String, key: String, reason: String) throws {
        let e = try #require(try error(loading: file), "\(file) loaded without error")
        guard case let .invalidVocabulary(field, message) = e else {
            Issue.record("unexpected error \(e)")
            return
        }
        #expect(field.hasPrefix(key))
        #expect(field.hasSuffix(file))
        #expect(message.hasPrefix(reason), "\(message)")
    }

    @Test("a special token id outside the vocabulary is an error naming the key", arguments: ["bos_token_id", "eos_token_id"])
    func specialTokenOutsideTheVocabulary(_ key: String) throws {
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func string(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }
        let tokens = ["<unk>", "a", "b"]
        var bytes = Array("GGUF".utf8) + le(UInt32(3)) + le(Int64(0)) + le(Int64(3))
        bytes += string("tokenizer.ggml.model") + le(UInt32(8)) + string("llama")
        bytes += string("tokenizer.ggml.tokens") + le(UInt32(9)) + le(UInt32(8)) + le(UInt64(tokens.count)) + tokens.flatMap(string)
        bytes += string("tokenizer.ggml." + key) + le(UInt32(4)) + le(UInt32(3))   // ids are 0..<3
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("oob-\(UUID()).gguf").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: TokenizerError.invalidVocabulary(field: "tokenizer.ggml.\(key) in \(path)",
                                                         reason: "token id 3 is outside the vocabulary of 3 tokens")) {
            try TokenizerVocabulary(gguf: GGUFFile(path: path))
        }
    }

    @Test func aFileThatIsNotGGUFIsAnError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-gguf-\(UUID()).gguf").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("hello".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: (any Error).self) { try Tokenizer(ggufPath: path) }
    }

    @Test func vocabularyReadFromGGUFKeepsEveryField() throws {
        let v = try TokenizerVocabulary(gguf: .init(path: fixture("spm-llama.gguf")))
        #expect(v.model == "llama")
        #expect(v.preTokenizer == nil)
        #expect(v.tokens.count == v.scores.count && v.tokens.count == v.tokenTypes.count)
        #expect(v.tokens[3] == "<0x00>" && v.tokenTypes[3] == .byte)
        #expect(v.bosID == 1 && v.eosID == 2 && v.unknownID == 0)
        #expect(v.addBOS == true && v.addSpacePrefix == true && v.addEOS == false)
        #expect(v.merges.isEmpty)
    }
}
