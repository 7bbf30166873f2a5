import Foundation
import ScopeTestSupport
import Testing

/// `scope tokenize` (the acceptance checks call it): runs the built executable under .build.
@Suite(.needsScopeExecutable) struct TokenizeCommandTests {
    static func run(_ arguments: [String]) throws -> ScopeExecutable.Run { try #require(try ScopeExecutable.run(arguments)) }

    func fixture(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
            .appendingPathComponent("vocab").appendingPathComponent(name).path
    }

    @Test(.needsDefaultModel) func jsonOutputListsTheIDsWithSpecialTokenTextRecognised() throws {
        let model = try #require(DefaultModel.path())
        let run = try Self.run(["tokenize", "--model", model, "--json", "<|im_start|>user\nHi<|im_end|>\n"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "{\"ids\":[1,4093,198,26843,2,198]}\n")
    }

    @Test func bosIsAddedOnlyWithAddBos() throws {
        let model = try fixture("spm-llama.gguf")
        let plain = try Self.run(["tokenize", "--model", model, "--json", "Hello"])
        let withBOS = try Self.run(["tokenize", "--model", model, "--json", "--add-bos", "Hello"])
        #expect(plain.status == 0 && withBOS.status == 0)
        #expect(!plain.stdout.hasPrefix("{\"ids\":[1,"))
        #expect(withBOS.stdout.hasPrefix("{\"ids\":[1,"))
        #expect(withBOS.stdout.dropFirst("{\"ids\":[1,".count) == plain.stdout.dropFirst("{\"ids\":[".count))
    }

    @Test func unreadableModelExitsNonZeroWithTheErrorOnStandardError() throws {
        let run = try Self.run(["tokenize", "--model", try fixture("bad-no-model.gguf"), "--json", "x"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("tokenizer.ggml.model"))
        #expect(run.stdout.isEmpty)
    }
}
