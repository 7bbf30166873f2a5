import Foundation
import Testing
import GGUF
import ScopeTestSupport

/// Runs the built `scope` executable (under .build) on fixtures and malformed files.
@Suite(.needsScopeExecutable) struct InspectCommandTests {
    static func run(_ arguments: [String]) throws -> ScopeExecutable.Run { try #require(try ScopeExecutable.run(arguments)) }

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
            let r = try Self.run(["inspect", path])
            #expect(r.status != 0, "\(label): exit status \(r.status)")
            #expect(r.stdoutData.isEmpty, "\(label): nothing on stdout")
            #expect(r.stderr.contains(path), "\(label): \(r.stderr)")
            for fragment in expected { #expect(r.stderr.contains(fragment), "\(label): '\(fragment)' missing from \(r.stderr)") }
        }
    }

    @Test func dequantizeJSONMatchesGGUFPackageValues() throws {
        for type in [GGMLType.q4_K, .q8_0, .f16] {
            let r = try Self.run(["inspect", Fixtures.path("dequant/\(type.name).gguf"), "--tensor", "weights", "--dequantize", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
            #expect(object["name"] as? String == "weights")
            #expect(object["type"] as? String == type.name)
            let file = try GGUFFile(path: Fixtures.path("dequant/\(type.name).gguf"))
            #expect(object["shape"] as? [Int] == file.tensor("weights")?.shape)
            let values = try #require(object["values"] as? [Double]).map { Float($0) }
            #expect(values == (try Fixtures.floats("dequant/\(type.name).f32")))
        }
    }

    @Test func metadataJSONListsKeysAndTensorTable() throws {
        let r = try Self.run(["inspect", Fixtures.path("metadata.gguf"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
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
        let r = try Self.run(["inspect", Fixtures.path("metadata.gguf"), "--tensor", "nope", "--dequantize", "--json"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("no tensor named 'nope'"))
    }
}
