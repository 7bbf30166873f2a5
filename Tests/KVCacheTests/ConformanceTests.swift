import Foundation
import Testing
@testable import KVCache
import ScopeTestSupport

@Suite("KV conformance replay")
struct ConformanceTests {
    @Test("every file of the shared vectors folder replays without a difference")
    func sharedVectorsPass() throws {
        guard let dir = SharedData.path("conformance/kv") else { return }
        let results = try KVConformance.run(directory: dir)
        #expect(results.count >= 38)
        for r in results { #expect(r.passed, "\(r.line)") }
        #expect(results.reduce(0) { $0 + $1.checks } > 30_000)
    }

    @Test("an altered kept list, counter or input makes the replay fail")
    func alteredVectorsFail() throws {
        guard let dir = SharedData.path("conformance/kv") else { return }
        let tmp = try TempFolder(copying: dir)
        defer { tmp.remove() }
        // 1. swap two kept positions of one decoding step
        try tmp.editJSON("trace_H2O+slide__A.json") { root in
            var examples = root["examples"] as! [[String: Any]]
            var steps = examples[0]["steps"] as! [[[String: Any]]]
            var rec = steps[30][1]
            var kept = rec["kept"] as! [[Int]]
            kept[0].swapAt(0, 1)
            rec["kept"] = kept
            steps[30][1] = rec
            examples[0]["steps"] = steps
            root["examples"] = examples
        }
        // 2. change a class-level counter
        try tmp.editJSON("trace_SnapKV+discontinuous__A.json") { root in
            var examples = root["examples"] as! [[String: Any]]
            var steps = examples[0]["steps"] as! [[[String: Any]]]
            var rec = steps[10][0]
            var counters = rec["counters"] as! [String: Int]
            counters["J"] = counters["J"]! + 1
            rec["counters"] = counters
            steps[10][0] = rec
            examples[0]["steps"] = steps
            root["examples"] = examples
        }
        // 3. change one prompt key of a prefill input
        try tmp.editJSON("prefill_cases.json") { root in
            var inputs = root["inputs"] as! [String: Any]
            var n56 = inputs["n56"] as! [String: Any]
            var k = n56["k"] as! [Any]
            var layer = k[0] as! [Any]
            var head = layer[0] as! [Any]
            for t in 0..<20 {
                var row = head[t] as! [Any]
                row[0] = (row[0] as! NSNumber).doubleValue + 1.5
                head[t] = row
            }
            layer[0] = head
            k[0] = layer
            n56["k"] = k
            inputs["n56"] = n56
            root["inputs"] = inputs
        }
        let results = try KVConformance.run(directory: tmp.url)
        let failed = Set(results.filter { !$0.passed }.map(\.file))
        #expect(failed == ["trace_H2O+slide__A.json", "trace_SnapKV+discontinuous__A.json", "prefill_cases.json"])
    }

    @Test("vectors regenerated with another seed replay without a difference (needs python3 + numpy)")
    func otherSeedPasses() throws {
        guard let script = SharedData.path("reference/kv_reference_model.py") else { return }
        let tmp = try TempFolder()
        defer { tmp.remove() }
        let seed = 1000 + Int.random(in: 0..<100_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "--out", tmp.url.path, "--seed", String(seed)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            print("SKIP: python3 cannot be started (\(error)); other-seed conformance not run")
            return
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              FileManager.default.fileExists(atPath: tmp.url.appendingPathComponent("trace_inputs.json").path) else {
            print("SKIP: python3 kv_reference_model.py --seed \(seed) failed (numpy missing, or a near-tie seed); other-seed conformance not run")
            return
        }
        let results = try KVConformance.run(directory: tmp.url)
        #expect(results.count >= 38)
        for r in results { #expect(r.passed, "seed \(seed): \(r.line)") }
    }

    @Test("a missing or malformed vector file is an error naming the file")
    func malformedFileIsNamed() throws {
        let tmp = try TempFolder()
        defer { tmp.remove() }
        #expect(throws: ConformanceError.self) { try KVConformance.run(directory: tmp.url.appendingPathComponent("absent")) }
        try Data("{\"inputs\": {}, \"cases\": [{\"id\": 3}]}".utf8).write(to: tmp.url.appendingPathComponent("prefill_cases.json"))
        do {
            _ = try KVConformance.run(directory: tmp.url)
            Issue.record("malformed prefill_cases.json was accepted")
        } catch let error as ConformanceError {
            #expect(error.description.contains("prefill_cases.json"))
            #expect(error.description.contains("cases"))
        }
    }
}

/// A temporary folder, optionally a copy of another.
struct TempFolder {
    let url: URL

    init(copying source: URL? = nil) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("kvtest-\(UUID().uuidString)")
        if let source {
            try FileManager.default.copyItem(at: source, to: url)
            // shared/ is read-only: make the copies writable
            for name in try FileManager.default.contentsOfDirectory(atPath: url.path) {
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.appendingPathComponent(name).path)
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        } else {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
    }

    func editJSON(_ name: String, _ edit: (inout [String: Any]) -> Void) throws {
        let file = url.appendingPathComponent(name)
        var root = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
        edit(&root)
        try JSONSerialization.data(withJSONObject: root).write(to: file)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
