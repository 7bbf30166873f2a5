import Foundation
import ScopeTestSupport
import Testing

/// `scope tokenize` (the acceptance checks call it): runs the built executable when present under .build.
@Suite struct TokenizeCommandTests {
    static let executable: String? = {
        let root = SharedData.packageRoot
        for config in ["release", "debug"] {
            for dir in [".build/\(config)", ".build/x86_64-unknown-linux-gnu/\(config)", ".build/aarch64-unknown-linux-gnu/\(config)"] {
                let candidate = root.appendingPathComponent(dir).appendingPathComponent("scope").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        print("SKIP: no built scope executable under \(root.path)/.build (run swift build -c release)")
        return nil
    }()

    struct Run { let status: Int32; let stdout: String; let stderr: String }

    static func run(_ arguments: [String]) throws -> Run? {
        guard let executable else { return nil }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scope-tokenize-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("stdout"), errURL = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.standardOutput = out
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        return Run(status: p.terminationStatus,
                   stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                   stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    func fixture(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
            .appendingPathComponent("vocab").appendingPathComponent(name).path
    }

    @Test func jsonOutputListsTheIDsWithSpecialTokenTextRecognised() throws {
        guard let model = DefaultModel.path(),
              let run = try Self.run(["tokenize", "--model", model, "--json", "<|im_start|>user\nHi<|im_end|>\n"]) else { return }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "{\"ids\":[1,4093,198,26843,2,198]}\n")
    }

    @Test func bosIsAddedOnlyWithAddBos() throws {
        let model = try fixture("spm-llama.gguf")
        guard let plain = try Self.run(["tokenize", "--model", model, "--json", "Hello"]),
              let withBOS = try Self.run(["tokenize", "--model", model, "--json", "--add-bos", "Hello"]) else { return }
        #expect(plain.status == 0 && withBOS.status == 0)
        #expect(!plain.stdout.hasPrefix("{\"ids\":[1,"))
        #expect(withBOS.stdout.hasPrefix("{\"ids\":[1,"))
        #expect(withBOS.stdout.dropFirst("{\"ids\":[1,".count) == plain.stdout.dropFirst("{\"ids\":[".count))
    }

    @Test func unreadableModelExitsNonZeroWithTheErrorOnStandardError() throws {
        guard let run = try Self.run(["tokenize", "--model", try fixture("bad-no-model.gguf"), "--json", "x"]) else { return }
        #expect(run.status != 0)
        #expect(run.stderr.contains("tokenizer.ggml.model"))
        #expect(run.stdout.isEmpty)
    }
}
