import Foundation
import Testing
@testable import Tokenizer

/// Small vocabularies trained with the `tokenizers` package (scripts/make-tokenizer-fixtures.py):
/// byte-level BPE with each pre-tokenizer kind and a SentencePiece-style `llama` vocabulary, as
/// vocab-only GGUF files, with the ids `tokenizers` gives for a shared input list.
struct VocabularyFixtures {
    struct Entry: Decodable {
        let name: String
        let file: String
        let ids: [[Int32]]
    }

    let inputs: [String]
    let vocabularies: [Entry]
    let directory: URL

    static func load() throws -> VocabularyFixtures {
        let dir = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
            .appendingPathComponent("vocab")
        struct File: Decodable { let inputs: [String]; let vocabularies: [Entry] }
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: dir.appendingPathComponent("expected.json")))
        return VocabularyFixtures(inputs: file.inputs, vocabularies: file.vocabularies, directory: dir)
    }

    func tokenizer(_ name: String) throws -> (Tokenizer, Entry) {
        let entry = try #require(vocabularies.first { $0.name == name }, "no fixture named \(name)")
        return (try Tokenizer(ggufPath: directory.appendingPathComponent(entry.file).path), entry)
    }
}

@Suite struct VocabularyFixtureTests {
    static let kinds = ["gpt-2", "smollm", "llama-bpe", "qwen2", "default", "llama-spm"]

    @Test(arguments: kinds)
    func idsMatchTheTokenizersPackageOnTheSharedInputs(kind: String) throws {
        let fixtures = try VocabularyFixtures.load()
        let (tokenizer, entry) = try fixtures.tokenizer(kind)
        #expect(entry.ids.count == fixtures.inputs.count)
        #expect(fixtures.inputs.count > 40)
        for (input, expected) in zip(fixtures.inputs, entry.ids) {
            #expect(tokenizer.encode(input) == expected, "\(kind): \(input.debugDescription)")
        }
    }

    @Test(arguments: ["smollm", "qwen2", "llama-spm"])
    func decodingReturnsTheInputText(kind: String) throws {
        let fixtures = try VocabularyFixtures.load()
        let (tokenizer, _) = try fixtures.tokenizer(kind)
        for input in fixtures.inputs where !input.contains("<") {
            #expect(tokenizer.decode(tokenizer.encode(input)) == input, "\(kind): \(input.debugDescription)")
        }
    }

    @Test func metadataFlagsAndDefaultsArePickedPerKind() throws {
        let fixtures = try VocabularyFixtures.load()
        let (spm, _) = try fixtures.tokenizer("llama-spm")
        #expect(spm.model == "llama")
        #expect(spm.addBOS && spm.addSpacePrefix && !spm.addEOS)
        #expect(spm.bosID == 1 && spm.eosID == 2 && spm.unknownID == 0)
        #expect(spm.encode("Hi", addSpecial: true).first == 1)
        #expect(spm.encode("Hi", addSpecial: false).first != 1)
        #expect(spm.endOfGeneration == [2])
        #expect(spm.piece(Int32(3 + 0x41)) == [0x41])  // <0x41>
        let (llama3, _) = try fixtures.tokenizer("llama-bpe")
        #expect(!llama3.addBOS)  // metadata says false, overriding the llama-bpe default
        let (smollm, _) = try fixtures.tokenizer("smollm")
        #expect(smollm.endOfGeneration == Set([smollm.id(of: "<|endoftext|>")!, smollm.id(of: "<|im_end|>")!]))
        #expect(smollm.eotID == smollm.id(of: "<|im_end|>"))
    }

    @Test func sentencePieceFallsBackToBytesForUnknownCharacters() throws {
        let fixtures = try VocabularyFixtures.load()
        let (spm, _) = try fixtures.tokenizer("llama-spm")
        let ids = spm.encode("—")  // E2 80 94, not in the vocabulary
        #expect(ids.suffix(3).map { spm.tokenText($0) } == ["<0xE2>", "<0x80>", "<0x94>"])
        var stream = StreamingDecoder(tokenizer: spm)
        let text = ids.map { stream.append($0) }.joined() + stream.flush()
        #expect(text == " —")
    }
}
