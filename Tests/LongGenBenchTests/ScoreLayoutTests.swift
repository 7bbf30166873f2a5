import Foundation
import Testing
@testable import LongGenBench

/// `score` on our own layout: one folder per dataset, shards merged, −1 for a missing dataset, JSON contract.
struct ScoreLayoutTests {
    static func line(_ index: Int, pred: String, answers: [String]) -> String {
        PythonJSON.encode(.object([("index", .int(index)), ("pred", .string(pred)), ("answers", .array(answers.map { .string($0) }))])) + "\n"
    }

    @Test("one folder per dataset: JSON has scores with -1 for the missing dataset and accuracy by position")
    func jsonContractWithMissingDataset() throws {
        let t = TempFolder()
        t.write("gsm8k/H2O+slide.jsonl", Self.line(0, pred: "Answer_9: The answer is 1.\nAnswer_10: The answer is 5.", answers: ["#### 1", "#### 2"])
                + Self.line(1, pred: "Answer_9: The answer is 3.\nAnswer_10: The answer is 4.", answers: ["#### 3", "#### 4"]))
        t.write("csqa/H2O+slide.jsonl", Self.line(0, pred: "Answer_6: The answer is (A).", answers: ["A", "B"]))
        let runs = try ScoreReport.score(paths: [t.path], scorer: .paper)
        try #require(runs.count == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(ScoreReport.json(runs).utf8)) as? [String: Any])
        let scores = try #require(json["scores"] as? [String: Double])
        #expect(scores == ["gsm8k": 75, "mmlu": -1, "csqa": 50])
        let byPos = try #require(json["by_position"] as? [String: [Double]])
        #expect(byPos["gsm8k"] == [100, 50])
        #expect(byPos["csqa"] == [100, 0])
        #expect(byPos["mmlu"] == [])
    }

    @Test("shards of a run are merged, duplicates by index dropped, and a torn last line ignored")
    func shardsMerge() throws {
        let t = TempFolder()
        t.write("mmlu/ALLKV+None.shard-0-of-2.jsonl", Self.line(0, pred: "Answer_6: The answer is (A).", answers: ["A"])
                + Self.line(2, pred: "Answer_6: The answer is (B).", answers: ["A"]) + "{\"index\": 4, \"pr")
        t.write("mmlu/ALLKV+None.shard-1-of-2.jsonl", Self.line(1, pred: "Answer_6: The answer is (A).", answers: ["A"])
                + Self.line(1, pred: "Answer_6: The answer is (B).", answers: ["A"]))
        let runs = try ScoreReport.score(paths: [t.path], scorer: .paper)
        try #require(runs.count == 1)
        #expect(runs[0].key.label == "ALLKV+None")
        #expect(runs[0].examples[.mmlu] == 3)
        #expect(runs[0].scores[.mmlu] == 66.6667)
        #expect(runs[0].scores[.gsm8k] == -1)
    }

    @Test("a run with shard files missing, or of different splits, gets a warning naming them; complete shards none")
    func incompleteShardsAreNamed() throws {
        let t = TempFolder()
        let line = Self.line(0, pred: "Answer_6: The answer is (A).", answers: ["A"])
        t.write("mmlu/ALLKV+None.shard-0-of-2.jsonl", line)
        t.write("mmlu/ALLKV+None.shard-1-of-2.jsonl", line)
        t.write("mmlu/H2O+slide.shard-1-of-3.jsonl", line)
        t.write("csqa/H2O+slide.shard-0-of-2.jsonl", line)
        t.write("csqa/H2O+slide.shard-1-of-3.jsonl", line)
        let warnings = ResultsDiscovery.incompleteShards(try ResultsDiscovery.discover([t.path]))
        #expect(warnings.count == 2, "\(warnings)")
        #expect(warnings.contains { $0.hasPrefix("csqa H2O+slide") && $0.contains("different splits (of 2, 3)") }, "\(warnings)")
        #expect(warnings.contains { $0.hasPrefix("mmlu H2O+slide") && $0.contains("1 of 3 shard files; missing shard-0-of-3, shard-2-of-3") },
                "\(warnings)")
    }

    @Test("a malformed line that is not the torn last line is an error naming file and line")
    func malformedLineIsAnError() throws {
        let t = TempFolder()
        let p = t.write("gsm8k/X+None.jsonl", "{not json}\n" + Self.line(0, pred: "", answers: ["#### 1"]))
        #expect(throws: LongGenBenchError.at(p, line: 1, "malformed JSON line: expected a key (a string) but found 'n' (column 2)")) {
            try ScoreReport.score(paths: [t.path], scorer: .paper)
        }
    }

    @Test("result files without one finished example are an error naming them, not an empty table",
          arguments: ["", "garbage"])   // empty; one torn line (dropped as the torn last line)
    func nothingToScore(_ content: String) throws {
        let t = TempFolder()
        let p = t.write("gsm8k/A+none.jsonl", content)
        #expect(throws: LongGenBenchError("no finished example to score in \(p) (the result files are empty)")) {
            try ScoreReport.score(paths: [t.path], scorer: .paper)
        }
    }

    @Test("several runs in one folder give one row each, in the Markdown and CSV tables")
    func severalRunsGiveRows() throws {
        let t = TempFolder()
        t.write("gsm8k/ALLKV+None.jsonl", Self.line(0, pred: "Answer_9: The answer is 1.", answers: ["#### 1"]))
        t.write("gsm8k/H2O+slide.jsonl", Self.line(0, pred: "Answer_9: The answer is 2.", answers: ["#### 1"]))
        let runs = try ScoreReport.score(paths: [t.path], scorer: .paper)
        #expect(runs.map(\.key.label) == ["ALLKV+None", "H2O+slide"])
        // Default: only the datasets that have results (issue 18: a reader need not know that -1 means "not run").
        let md = ScoreReport.markdown(runs)
        #expect(md.hasPrefix("| prefill+decoding | P | dw | GSM8K+ |\n"))
        #expect(md.contains("| ALLKV+None | – | – | 100.0 |\n"))
        #expect(md.contains("| H2O+slide | – | – | 0.0 |\n"))
        #expect(!md.contains("-1"))
        #expect(ScoreReport.csv(runs).hasPrefix("prefill+decoding,P,dw,dr,gsm8k\nALLKV+None,,,,100.0\n"))
        // Paper format: the reference layout, -1 for the datasets without results.
        let paper = ScoreReport.markdown(runs, paperFormat: true)
        #expect(paper.contains("| ALLKV+None | – | – | 100.0 | -1 | -1 |"))
        #expect(paper.contains("| H2O+slide | – | – | 0.0 | -1 | -1 |"))
        #expect(ScoreReport.csv(runs, paperFormat: true).hasPrefix("prefill+decoding,P,dw,dr,gsm8k,mmlu,csqa\nALLKV+None,,,,100.0,-1,-1\n"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(ScoreReport.json(runs).utf8)) as? [String: Any])
        #expect((json["runs"] as? [Any])?.count == 2)
    }

    @Test("a dataset one run has and another lacks shows – (Markdown) or an empty cell (CSV), not -1")
    func partialDatasets() throws {
        let t = TempFolder()
        t.write("gsm8k/ALLKV+None.jsonl", Self.line(0, pred: "Answer_9: The answer is 1.", answers: ["#### 1"]))
        t.write("csqa/ALLKV+None.jsonl", Self.line(0, pred: "Answer_6: The answer is (A).", answers: ["A"]))
        t.write("gsm8k/H2O+slide.jsonl", Self.line(0, pred: "Answer_9: The answer is 1.", answers: ["#### 1"]))
        let runs = try ScoreReport.score(paths: [t.path], scorer: .paper)
        let md = ScoreReport.markdown(runs)
        #expect(md.hasPrefix("| prefill+decoding | P | dw | GSM8K+ | CSQA+ |\n"))
        #expect(md.contains("| H2O+slide | – | – | 100.0 | – |\n"))
        #expect(ScoreReport.csv(runs).contains("\nH2O+slide,,,,100.0,\n"))
    }
}
