import Foundation
import Testing
@testable import LongGenBench

/// A generator that copies the list in the prompt's user text, getting the items in `wrong` wrong.
final class RecallCopyGenerator: LongGenBenchGenerator, @unchecked Sendable {
    let wrong: Set<Int>
    var prompts: [String] = []
    init(wrong: Set<Int>) { self.wrong = wrong }

    func generate(prompt: String, maxNewTokens: Int) throws -> GeneratedAnswer {
        prompts.append(prompt)
        let facts = prompt.split(separator: "\n").filter { $0.hasPrefix("Item_") && !$0.hasSuffix(":") }
        let copied = facts.enumerated().map { i, line -> String in
            guard wrong.contains(i + 1) else { return String(line) }
            let value = line.split(separator: " ").last.map(String.init) ?? ""
            return "Item_\(i + 1): " + (value == "red" ? "blue" : "red")
        }
        // The prompt already ends with "Item_1:", so the answer continues item 1.
        let text = String(copied.joined(separator: "\n").dropFirst("Item_1:".count))
        return GeneratedAnswer(text: text, promptTokens: 1, generatedTokens: 1, prefillSeconds: 0, decodeSeconds: 0)
    }
}

/// `build --dataset recall` → `run` → `score`: file name, templates, results folder and the table's Recall column.
struct RecallWiringTests {
    static func quiet(_ n: Int) -> ProgressReporter { ProgressReporter(total: n, label: "t", isTerminal: false, write: { _ in }) }

    @Test("a built recall file is identical for a seed and loads as the recall dataset")
    func builtFileLoadsAsRecall() throws {
        let t = TempFolder()
        try LongGenBenchBuilder.write(try RecallTask.build(k: 30, count: 8, seed: 1), to: t.file("a/recall_30.jsonl"))
        try LongGenBenchBuilder.write(try RecallTask.build(k: 30, count: 8, seed: 1), to: t.file("b/recall_30.jsonl"))
        let a = try Data(contentsOf: URL(fileURLWithPath: t.file("a/recall_30.jsonl")))
        #expect(a == (try Data(contentsOf: URL(fileURLWithPath: t.file("b/recall_30.jsonl")))))
        let data = try LongGenBenchData.load(t.file("a/recall_30.jsonl"))
        #expect(data.dataset == .recall && data.k == 30 && data.records.count == 8)
        #expect(LongGenBenchDataset.defaultMaxNewTokens(dataset: .recall, k: 30) == 240)
        #expect(throws: LongGenBenchError.self) {
            try LongGenBenchBuilder.build(dataset: .recall, k: 30, source: "x", demos: "y")
        }
    }

    @Test("templates end recall prompts with Item_1:, and chat passes no system prompt")
    func templatesEndWithAnswerPrefix() throws {
        let r = try RecallTask.build(k: 2, count: 1, seed: 1)[0]
        #expect(LongGenBenchTemplate.plain.prompt(dataset: .recall, record: r) == r.prompt + "\nItem_1:")
        let chat = LongGenBenchTemplate.chat { system, user in "[\(system ?? "default")|\(user)]" }
        #expect(chat.prompt(dataset: .recall, record: r) == "[default|\(r.prompt)]Item_1:")
        // The paper's datasets are unchanged: their system prompt, no prefix.
        let g = BenchmarkRecord(prompt: "P", questions: ["q"], answers: ["#### 1"])
        #expect(chat.prompt(dataset: .gsm8k, record: g) == "[\(LongGenBenchDataset.gsm8k.paperSystemPrompt)|P]")
        #expect(LongGenBenchTemplate.plain.prompt(dataset: .gsm8k, record: g) == "P")
    }

    @Test("run writes recall/<label>.jsonl and score puts a Recall column with the hand-checked accuracy")
    func runAndScoreRecall() throws {
        let t = TempFolder()
        let data = LongGenBenchData(path: "mem", dataset: .recall, records: try RecallTask.build(k: 10, count: 2, seed: 5))
        let runner = LongGenBenchRunner(data: data, options: .init(label: "H2O+slide", maxNewTokens: 80, template: .plain))
        let generator = RecallCopyGenerator(wrong: [1, 4, 10])
        let s = try runner.run(outDir: t.path, generator: generator, progress: Self.quiet)
        #expect(s.resultsPath == t.file("recall/H2O+slide.jsonl"))
        #expect(generator.prompts.allSatisfy { $0.hasSuffix("exactly.\nItem_1:") })
        let runs = try ScoreReport.score(paths: [t.path], scorer: .paper)
        try #require(runs.count == 1)
        // 3 of 10 items wrong in each example: 70%; positions 1, 4 and 10 always wrong.
        #expect(runs[0].scores[.recall] == 70)
        #expect(runs[0].examples[.recall] == 2)
        #expect(runs[0].byPosition[.recall] == [0, 100, 100, 0, 100, 100, 100, 100, 100, 0])
        #expect(runs[0].scores[.gsm8k] == -1)
        let md = ScoreReport.markdown(runs)
        #expect(md.hasPrefix("| prefill+decoding | P | dw | Recall |\n"))
        #expect(md.contains("| H2O+slide | – | – | 70.0 |"))
        #expect(ScoreReport.markdown(runs, paperFormat: true).contains("| H2O+slide | – | – | -1 | -1 | -1 | 70.0 |"))
        #expect(ScoreReport.csv(runs, paperFormat: true).hasPrefix("prefill+decoding,P,dw,dr,gsm8k,mmlu,csqa,recall\nH2O+slide,,,,-1,-1,-1,70.0\n"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(ScoreReport.json(runs).utf8)) as? [String: Any])
        #expect((json["scores"] as? [String: Double])?["recall"] == 70)
    }

    @Test("the reference layout's folder names give the recall table its P and dw columns")
    func referenceLayoutGivesBudgets() throws {
        let t = TempFolder()
        let answers = ["red", "blue"]
        let line = PythonJSON.encode(.object([("index", .int(0)), ("pred", .string(" red\nItem_2: blue")),
                                              ("answers", .array(answers.map { .string($0) }))])) + "\n"
        t.write("H2O+h2o_decoding_window_64_recent_window_32/smollm2_128/recall/H2O+h2o.jsonl", line)
        let runs = try ScoreReport.score(paths: [t.path], scorer: .paper)
        #expect(ScoreReport.markdown(runs).contains("| H2O+h2o | 128 | 64 | 100.0 |"))
    }
}
