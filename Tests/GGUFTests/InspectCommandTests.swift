import Foundation
import Testing
import GGUF

/// Runs the built `scope` executable (if present under .build) on fixtures and malformed files.
@Suite struct InspectCommandTests {
    /// The built `scope` executable, or nil (with a printed reason) when it has not been built.
    static let executable: String? = {
        let root = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for config in ["release", "debug"] {
            for dir in [".build/\(config)", ".build/x86_64-unknown-linux-gnu/\(config)", ".build/aarch64-unknown-linux-gnu/\(config)"] {
                let candidate = root.appendingPathComponent(dir).appendingPathComponent("scope").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        print("SKIP: no built scope executable under \(root.path)/.build (run swift build -c release)")
        return nil
    }()

    struct Run { let status: Int32; let stdout: Data; let stderr: String }

    static func run(_ arguments: [String]) throws -> Run? {
        guard let executable else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        // Outputs go to temporary files so that neither stream can fill a pipe and block the child.
        let dir = try TemporaryDirectory()
        let outURL = dir.url.appendingPathComponent("stdout"), errURL = dir.url.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        p.standardOutput = out
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        let outData = try Data(contentsOf: outURL), errData = try Data(contentsOf: errURL)
        return Run(status: p.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
    }

    @Test func malformedFilesExitNonZeroWithTheErrorOnStandardError() throws {
        let dir = try TemporaryDirectory()
        var full = GGUFBuilder.valid()
        let bytes = full.build()
        var corpus = MalformedFileTests.cases.map { ($0.label, $0.bytes(), $0.expected) }
        for (section, start) in full.sectionStarts where start + 3 < bytes.count {
            corpus.append(("truncated in \(section)", Array(bytes.prefix(start + 3)), ["truncated"]))
        }
        #expect(corpus.count == MalformedFileTests.cases.count + 7)
        for (label, bytes, expected) in corpus {
            let path = try dir.write(bytes, name: "cli.gguf")
            guard let r = try Self.run(["inspect", path]) else { return }
            #expect(r.status != 0, "\(label): exit status \(r.status)")
            #expect(r.stdout.isEmpty, "\(label): nothing on stdout")
            #expect(r.stderr.contains(path), "\(label): \(r.stderr)")
            for fragment in expected { #expect(r.stderr.contains(fragment), "\(label): '\(fragment)' missing from \(r.stderr)") }
        }
    }

    @Test func dequantizeJSONMatchesGGUFPackageValues() throws {
        for type in [GGMLType.q4_K, .q8_0, .f16] {
            guard let r = try Self.run(["inspect", Fixtures.path("dequant/\(type.name).gguf"), "--tensor", "weights", "--dequantize", "--json"]) else { return }
            #expect(r.status == 0, "\(r.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
            #expect(object["name"] as? String == "weights")
            #expect(object["type"] as? String == type.name)
            let file = try GGUFFile(path: Fixtures.path("dequant/\(type.name).gguf"))
            #expect(object["shape"] as? [Int] == file.tensor("weights")?.shape)
            let values = try #require(object["values"] as? [Double]).map { Float($0) }
            #expect(values == (try Fixtures.floats("dequant/\(type.name).f32")))
        }
    }

    @Test func metadataJSONListsKeysAndTensorTable() throws {
        guard let r = try Self.run(["inspect", Fixtures.path("metadata.gguf"), "--json"]) else { return }
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        #expect(object["version"] as? Int == 3)
        #expect(object["alignment"] as? Int == 64)
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["test.string"] as? String == "héllo ▁wörld 🙂")
        #expect(metadata["test.strings"] as? [String] == ["a", "", "Ġthe", "<|im_end|>"])
        #expect(metadata["test.true"] as? Bool == true)
        let tensors = try #require(object["tensors"] as? [[String: Any]])
        #expect(tensors.map { $0["name"] as? String } == ["t0", "t1", "t2"])
        #expect(tensors.map { $0["type"] as? String } == ["F32", "F32", "F32"])
        #expect(tensors[1]["shape"] as? [Int] == [3, 2])
    }

    @Test func unknownTensorNameIsAnErrorNamingIt() throws {
        guard let r = try Self.run(["inspect", Fixtures.path("metadata.gguf"), "--tensor", "nope", "--dequantize", "--json"]) else { return }
        #expect(r.status != 0)
        #expect(r.stderr.contains("no tensor named 'nope'"))
    }
}
