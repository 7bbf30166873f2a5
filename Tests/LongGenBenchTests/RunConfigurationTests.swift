import Foundation
import Testing
@testable import LongGenBench

/// Issue 11 item 2: results carry their configuration; a resumed run refuses a file written with
/// other settings, and score refuses records that disagree (it used to print "0 run, 1 already
/// done" and score the old numbers as the new configuration's).
struct RunConfigurationTests {
    static func config(budget: Int, kvType: String = "f32") -> RunConfiguration {
        RunConfiguration([("prefill", .string("h2o")), ("prefill_budget", .int(budget)), ("kv_type", .string(kvType)),
                          ("sampling", .object([("temperature", .double(0.7)), ("seed", .string("3"))]))])
    }

    static func runner(_ configuration: RunConfiguration, shard: ShardSpec = .whole) -> LongGenBenchRunner {
        LongGenBenchRunner(data: RunnerTests.data(3), options: .init(label: "H2O+None", maxNewTokens: 8, shard: shard,
                                                                     configuration: configuration))
    }

    @Test("a results file with an example index the data does not have is refused before anything runs")
    func strayIndexRefused() throws {
        let t = TempFolder()
        let runner = Self.runner(Self.config(budget: 1024))
        let s = try runner.run(outDir: t.path, generator: FakeGenerator(), progress: RunnerTests.quiet)
        let line = try #require(try String(contentsOfFile: s.resultsPath, encoding: .utf8).split(separator: "\n").first)
        let stray = line.replacingOccurrences(of: #""index": 0"#, with: #""index": 7"#)
        #expect(stray != String(line), "the index field is written as \"index\": 0")
        try (stray + "\n").write(toFile: s.resultsPath, atomically: true, encoding: .utf8)
        #expect(throws: LongGenBenchError("\(s.resultsPath): has a result for example 7, but \(RunnerTests.data(3).path) has 3 examples (results of another data file?); use another --out")) {
            try runner.run(outDir: t.path, generator: FakeGenerator(), progress: RunnerTests.quiet)
        }
    }

    @Test("every line records the configuration under config")
    func recorded() throws {
        let t = TempFolder()
        let s = try Self.runner(Self.config(budget: 1024)).run(outDir: t.path, generator: FakeGenerator(), progress: RunnerTests.quiet)
        let lines = try JSONLines.readObjects(s.resultsPath)
        #expect(lines.count == 3)
        for line in lines {
            let config = try #require(line.object["config"] as? [String: Any])
            #expect(RunConfiguration.canonical(config) == Self.config(budget: 1024).canonical)
            #expect((config["sampling"] as? [String: Any])?["temperature"] as? Double == 0.7)
        }
    }

    @Test("resuming into a file of another configuration is refused, naming the difference; the file is untouched")
    func resumeRefusesOtherConfiguration() throws {
        let t = TempFolder()
        #expect(throws: FakeGenerator.Killed.self) {
            try Self.runner(Self.config(budget: 1024)).run(outDir: t.path, generator: FakeGenerator(failAfter: 1), progress: RunnerTests.quiet)
        }
        let path = Self.runner(Self.config(budget: 1024)).resultsPath(outDir: t.path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let other = FakeGenerator()
        do {
            _ = try Self.runner(Self.config(budget: 2048)).run(outDir: t.path, generator: other, progress: RunnerTests.quiet)
            Issue.record("resumed into a file of another configuration")
        } catch let error as LongGenBenchError {
            #expect(error.message.contains("\(path):1: was written with a different configuration"))
            #expect(error.message.contains("prefill_budget: 1024 vs 2048"))
        }
        #expect(other.calls.isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        // The same configuration resumes.
        let same = try Self.runner(Self.config(budget: 1024)).run(outDir: t.path, generator: FakeGenerator(), progress: RunnerTests.quiet)
        #expect(same.skipped == 1 && same.ran == 2)
    }

    @Test("a file without recorded configuration (older runs) is not resumed into")
    func resumeRefusesUnrecorded() throws {
        let t = TempFolder()
        let path = t.write("gsm8k/H2O+None.jsonl", "{\"index\": 0, \"pred\": \"x\", \"answers\": [\"#### 0\"]}\n")
        #expect(throws: LongGenBenchError.self) {
            try Self.runner(Self.config(budget: 1024)).run(outDir: t.path, generator: FakeGenerator(), progress: RunnerTests.quiet)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"index\": 0, \"pred\": \"x\", \"answers\": [\"#### 0\"]}\n")
    }

    @Test("score refuses shards whose records disagree, and scores agreeing ones")
    func scoreRefusesMixedShards() throws {
        let t = TempFolder()
        _ = try Self.runner(Self.config(budget: 1024), shard: ShardSpec(index: 0, count: 2))
            .run(outDir: t.path, generator: FakeGenerator(), progress: RunnerTests.quiet)
        _ = try Self.runner(Self.config(budget: 1024, kvType: "f16"), shard: ShardSpec(index: 1, count: 2))
            .run(outDir: t.path, generator: FakeGenerator(), progress: RunnerTests.quiet)
        do {
            _ = try ScoreReport.score(paths: [t.path], scorer: .paper)
            Issue.record("scored records of two configurations together")
        } catch let error as LongGenBenchError {
            #expect(error.message.contains("were produced with different configurations (kv_type: \"f32\" vs \"f16\")"))
        }
        let u = TempFolder()
        for i in 0..<2 {
            _ = try Self.runner(Self.config(budget: 1024), shard: ShardSpec(index: i, count: 2))
                .run(outDir: u.path, generator: FakeGenerator(), progress: RunnerTests.quiet)
        }
        #expect(try ScoreReport.score(paths: [u.path], scorer: .paper).first?.examples[.gsm8k] == 3)
    }
}
