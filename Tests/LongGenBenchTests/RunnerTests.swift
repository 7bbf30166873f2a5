import Foundation
import Testing
import ScopeTestSupport
@testable import LongGenBench

/// A generator that echoes the prompt's last question number and counts calls; it can fail after N calls.
final class FakeGenerator: LongGenBenchGenerator, @unchecked Sendable {
    var calls: [String] = []
    var failAfter: Int?

    init(failAfter: Int? = nil) { self.failAfter = failAfter }

    struct Killed: Error {}

    func generate(prompt: String, maxNewTokens: Int) throws -> GeneratedAnswer {
        if let failAfter, calls.count >= failAfter { throw Killed() }
        calls.append(prompt)
        return GeneratedAnswer(text: "Answer_9:\nThe answer is \(calls.count).", promptTokens: prompt.count / 4,
                               generatedTokens: 7, prefillSeconds: 0.01, decodeSeconds: 0.02,
                               kvStats: ["kv_bytes_peak": 1024])
    }
}

struct RunnerTests {
    static func data(_ n: Int, dataset: LongGenBenchDataset = .gsm8k) -> LongGenBenchData {
        let records = (0..<n).map { i in
            BenchmarkRecord(task: dataset == .mmlu ? MMLUSource.tasks[i] : nil, prompt: "P\(i)\n", questions: ["q\(i)"],
                            answers: [dataset == .gsm8k ? "#### \(i)" : "A"])
        }
        return LongGenBenchData(path: "mem", dataset: dataset, records: records)
    }

    static func quiet(_ n: Int) -> ProgressReporter { ProgressReporter(total: n, label: "t", isTerminal: false, write: { _ in }) }

    static func indices(_ path: String) throws -> [Int] {
        try JSONLines.readObjects(path).map { ($0.object["index"] as! NSNumber).intValue }
    }

    @Test("paper template gives the exact final prompts of prompts.json for the first example of every file",
          .needsShared("conformance/kv/prompts.json", "data/longgenbench"))
    func paperPromptMatchesPromptsJSON() throws {
        let url = try #require(SharedData.path("conformance/kv/prompts.json"))
        let dataRoot = try #require(SharedData.path("data/longgenbench"))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let files = try #require(root["files"] as? [[String: Any]])
        #expect(files.count == 6)
        for f in files {
            let data = try LongGenBenchData.load(dataRoot.appendingPathComponent(f["file"] as! String).path)
            #expect(data.dataset.rawValue == f["dataset"] as? String)
            let prompt = LongGenBenchTemplate.paper.prompt(dataset: data.dataset, record: data.records[0])
            #expect(prompt == f["first_example_final_prompt"] as? String, "\(f["file"]!)")
            let runner = LongGenBenchRunner(data: data, options: .init(label: "ALLKV+None", maxNewTokens: 8))
            #expect(runner.selection.count == f["n_examples_run"] as? Int, "\(f["file"]!) examples run")
        }
    }

    @Test("each finished example is one fsynced line with the paper's fields and our measurements")
    func resultLinesHaveFields() throws {
        let t = TempFolder()
        let runner = LongGenBenchRunner(data: Self.data(3), options: .init(label: "H2O+slide", maxNewTokens: 64))
        let s = try runner.run(outDir: t.path, generator: FakeGenerator(), progress: Self.quiet)
        #expect(s.resultsPath == t.file("gsm8k/H2O+slide.jsonl"))
        #expect(s.ran == 3 && s.skipped == 0)
        let lines = try JSONLines.readObjects(s.resultsPath)
        #expect(lines.count == 3)
        let o = lines[1].object
        for key in ["index", "prompt", "questions", "answers", "length", "pred", "prompt_tokens", "generated_tokens",
                    "prefill_seconds", "decode_seconds", "kv", "max_new_tokens", "template"] {
            #expect(o[key] != nil, "missing \(key)")
        }
        let prompt = o["prompt"] as? String ?? ""
        #expect(prompt == "<<SYS>>\n " + LongGenBenchDataset.gsm8k.paperSystemPrompt + " \n<</SYS>>\n\nP1\n")
        #expect((o["length"] as? NSNumber)?.intValue == prompt.unicodeScalars.count)
        #expect((o["kv"] as? [String: Double]) == ["kv_bytes_peak": 1024])
    }

    /// A runner over `n` examples whose first run was killed after `k` of them, and its output folder.
    static func killedRun(examples n: Int, after k: Int, sourceLocation: SourceLocation = #_sourceLocation) -> (TempFolder, LongGenBenchRunner) {
        let t = TempFolder()
        let runner = LongGenBenchRunner(data: data(n), options: .init(label: "ALLKV+None", maxNewTokens: 8))
        #expect(throws: FakeGenerator.Killed.self, sourceLocation: sourceLocation) {
            try runner.run(outDir: t.path, generator: FakeGenerator(failAfter: k), progress: quiet)
        }
        return (t, runner)
    }

    @Test("a restart skips finished examples: after a crash the output has each example exactly once")
    func restartSkipsFinished() throws {
        let (t, runner) = Self.killedRun(examples: 5, after: 2)
        let second = FakeGenerator()
        let s = try runner.run(outDir: t.path, generator: second, progress: Self.quiet)
        #expect(s.skipped == 2 && s.ran == 3)
        #expect(second.calls.count == 3)
        #expect(try Self.indices(s.resultsPath) == [0, 1, 2, 3, 4])
        let third = FakeGenerator()
        #expect(try runner.run(outDir: t.path, generator: third, progress: Self.quiet).ran == 0)
        #expect(third.calls.isEmpty)
    }

    @Test("a kill mid-write (file truncated mid-line) loses only that example, which is rerun once")
    func tornLastLineIsDroppedAndRerun() throws {
        let (t, runner) = Self.killedRun(examples: 4, after: 3)
        let file = runner.resultsPath(outDir: t.path)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let lastLineStart = bytes.dropLast().lastIndex(of: 0x0A)! + 1
        bytes = bytes.prefix(lastLineStart + (bytes.count - lastLineStart) / 2)   // example 2's line cut in half
        try bytes.write(to: URL(fileURLWithPath: file))
        let again = FakeGenerator()
        let s = try runner.run(outDir: t.path, generator: again, progress: Self.quiet)
        #expect(s.droppedTornBytes > 0)
        #expect(s.skipped == 2 && s.ran == 2)
        #expect(try Self.indices(file) == [0, 1, 2, 3])
    }

    @Test("shards are disjoint, cover the selection exactly once, and score merges them")
    func shardsCoverSelectionOnce() throws {
        let t = TempFolder()
        var seen: [Int] = []
        for i in 0..<3 {
            let runner = LongGenBenchRunner(data: Self.data(8), options: .init(label: "H2O+h2o", maxNewTokens: 8, limit: 7,
                                                                              shard: ShardSpec(index: i, count: 3)))
            let s = try runner.run(outDir: t.path, generator: FakeGenerator(), progress: Self.quiet)
            #expect(s.resultsPath.hasSuffix("gsm8k/H2O+h2o.shard-\(i)-of-3.jsonl"))
            seen += try Self.indices(s.resultsPath)
        }
        #expect(seen.sorted() == Array(0..<7))
        let runs = try ScoreReport.score(paths: [t.path], scorer: .paper)
        #expect(runs.count == 1 && runs[0].key.label == "H2O+h2o" && runs[0].examples[.gsm8k] == 7)
    }

    @Test("--shard parses I/N with 0 ≤ I < N and rejects anything else")
    func shardParsing() throws {
        #expect(try ShardSpec(parsing: "1/4") == ShardSpec(index: 1, count: 4))
        for bad in ["4/4", "-1/2", "1", "a/b", "0/0", "1/2/3"] {
            #expect(throws: LongGenBenchError.self) { try ShardSpec(parsing: bad) }
        }
    }

    @Test("MMLU drops the paper's four OOM tasks unless asked to keep them; --limit takes the first N")
    func mmluSelection() {
        let data = Self.data(57, dataset: .mmlu)
        #expect(LongGenBenchRunner(data: data, options: .init(label: "x", maxNewTokens: 1)).selection.count == 53)
        #expect(!LongGenBenchRunner(data: data, options: .init(label: "x", maxNewTokens: 1)).selection.contains(21))
        #expect(LongGenBenchRunner(data: data, options: .init(label: "x", maxNewTokens: 1, keepAllMMLUTasks: true)).selection.count == 57)
        #expect(LongGenBenchRunner(data: data, options: .init(label: "x", maxNewTokens: 1, limit: 2)).selection == [0, 1])
    }

    @Test("progress: plain lines with counts and ETA when not a terminal, a redrawn bar on a terminal")
    func progressOutput() {
        var plain: [String] = []
        let p = ProgressReporter(total: 2, label: "gsm8k X", isTerminal: false, write: { plain.append($0) })
        p.step(seconds: 2)
        p.step(seconds: 2)
        #expect(plain == ["gsm8k X: 1/2 done, elapsed 0s, ETA 2s\n", "gsm8k X: 2/2 done, elapsed 0s, ETA 0s\n"])
        var tty = ""
        let b = ProgressReporter(total: 2, label: "L", isTerminal: true, write: { tty += $0 })
        b.step(seconds: 1)
        #expect(tty.hasPrefix("\rL [") && tty.contains("1/2") && tty.contains("ETA 1s"))
        #expect(ProgressReporter.clock(3725) == "1h02m05s")
    }
}
