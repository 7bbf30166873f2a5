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
