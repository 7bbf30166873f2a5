import Foundation
import Testing
@testable import LongGenBench

/// A generator that writes the prompt's `key: value` list `copies` times, separated by a blank line, with the
/// lines in `wrong` (0-based over all copies) given another value.
final class RepeatsCopyGenerator: LongGenBenchGenerator, @unchecked Sendable {
    let copies: Int, wrong: Set<Int>
    var prompts: [String] = []
    init(copies: Int, wrong: Set<Int>) { self.copies = copies; self.wrong = wrong }

    func generate(prompt: String, maxNewTokens: Int) throws -> GeneratedAnswer {
        prompts.append(prompt)
        let facts = prompt.split(separator: "\n").filter { $0.contains(": ") && !$0.hasPrefix("Here") }.map(String.init)
        var blocks: [String] = []
        for r in 0..<copies {
            blocks.append(facts.enumerated().map { i, line in
                guard wrong.contains(r * facts.count + i) else { return line }
                let key = line.prefix { $0 != ":" }
                return key + (line.hasSuffix(" red") ? ": blue" : ": red")
            }.joined(separator: "\n"))
        }
        // The prompt already ends with the first key and its colon.
        let text = String(blocks.joined(separator: "\n\n").drop { $0 != ":" }.dropFirst())
        return GeneratedAnswer(text: text, promptTokens: 1, generatedTokens: 1, prefillSeconds: 0, decodeSeconds: 0)
    }
}

/// `build --dataset repeats` → `run` → `score`: file name, templates, results folder and the table's Repeats column.
struct RepeatsWiringTests {
    @Test("a built repeats file is identical for a seed and loads as the repeats dataset with K·R questions")
    func builtFileLoadsAsRepeats() throws {
        let t = TempFolder()
        try LongGenBenchBuilder.write(try RepeatsTask.build(k: 16, copies: 4, count: 8, seed: 1), to: t.file("a/repeats_16x4.jsonl"))
        try LongGenBenchBuilder.write(try RepeatsTask.build(k: 16, copies: 4, count: 8, seed: 1), to: t.file("b/repeats_16x4.jsonl"))
        let a = try Data(contentsOf: URL(fileURLWithPath: t.file("a/repeats_16x4.jsonl")))
        #expect(a == (try Data(contentsOf: URL(fileURLWithPath: t.file("b/repeats_16x4.jsonl")))))
        let data = try LongGenBenchData.load(t.file("a/repeats_16x4.jsonl"))
        #expect(data.dataset == .repeats && data.k == 64 && data.records.count == 8)
        #expect(LongGenBenchDataset.defaultMaxNewTokens(dataset: .repeats, k: 64) == 512)
        #expect(throws: LongGenBenchError.self) {
            try LongGenBenchBuilder.build(dataset: .repeats, k: 16, source: "x", demos: "y")
        }
    }

    @Test("templates end repeats prompts with the record's first key, and chat passes no system prompt")
    func templatesEndWithFirstKey() throws {
        let r = try RepeatsTask.build(k: 3, copies: 2, count: 1, seed: 1)[0]
        #expect(LongGenBenchTemplate.plain.prompt(dataset: .repeats, record: r) == r.prompt + "\njay:")
        let chat = LongGenBenchTemplate.chat { system, user in "[\(system ?? "default")|\(user)]" }
        #expect(chat.prompt(dataset: .repeats, record: r) == "[default|\(r.prompt)]jay:")
    }

    @Test("run writes repeats/<label>.jsonl and score puts a Repeats column with the hand-checked accuracy")
    func runAndScoreRepeats() throws {
        let t = TempFolder()
        let data = LongGenBenchData(path: "mem", dataset: .repeats, records: try RepeatsTask.build(k: 4, copies: 2, count: 2, seed: 5))
        let runner = LongGenBenchRunner(data: data, options: .init(label: "H2O+slide", maxNewTokens: 80, template: .plain))
        // Copy 1 line 2 and copy 2 lines 1 and 4 wrong: 5 of 8 right in each example.
        let generator = RepeatsCopyGenerator(copies: 2, wrong: [1, 4, 7])
        let s = try runner.run(outDir: t.path, generator: generator, progress: RecallWiringTests.quiet)
        #expect(s.resultsPath == t.file("repeats/H2O+slide.jsonl"))
        #expect(generator.prompts.allSatisfy { $0.contains("exactly, 2 times.\n") && $0.hasSuffix(":") })
        let runs = try ScoreReport.score(paths: [t.path], scorer: .paper)
        try #require(runs.count == 1)
        #expect(runs[0].scores[.repeats] == 62.5)
        #expect(runs[0].examples[.repeats] == 2)
        #expect(runs[0].byPosition[.repeats] == [100, 0, 100, 100, 0, 100, 100, 0])
        let md = ScoreReport.markdown(runs)
        #expect(md.hasPrefix("| prefill+decoding | P | dw | Repeats |\n"))
        #expect(md.contains("| H2O+slide | – | – | 62.5 |"))
        #expect(ScoreReport.markdown(runs, paperFormat: true).contains("| H2O+slide | – | – | -1 | -1 | -1 | 62.5 |"))
    }
}
