import Foundation
import Testing
import ScopeTestSupport
@testable import LongGenBench

/// `build --semantics reference` must reproduce the paper's six files from the raw sources.
struct BuildReproducesPaperFilesTests {
    struct Case: Sendable, CustomStringConvertible {
        let dataset: LongGenBenchDataset, k: Int, source: String, demos: String, expected: String
        var description: String { expected }
    }

    static let cases: [Case] = [
        Case(dataset: .gsm8k, k: 30, source: "data/raw/gsm8k_test_first1290.jsonl", demos: "data/longgenbench/prompts/gsm8k_8demos.txt", expected: "data/longgenbench/gsm8k/gsm8k_30.jsonl"),
        Case(dataset: .gsm8k, k: 60, source: "data/raw/gsm8k_test_first1290.jsonl", demos: "data/longgenbench/prompts/gsm8k_8demos.txt", expected: "data/longgenbench/gsm8k/gsm8k_60.jsonl"),
        Case(dataset: .csqa, k: 40, source: "data/raw/csqa_validation_first1200.jsonl", demos: "data/longgenbench/prompts/csqa_5demos.txt", expected: "data/longgenbench/csqa/csqa_40.jsonl"),
        Case(dataset: .csqa, k: 80, source: "data/raw/csqa_validation_first1200.jsonl", demos: "data/longgenbench/prompts/csqa_5demos.txt", expected: "data/longgenbench/csqa/csqa_80.jsonl"),
        Case(dataset: .mmlu, k: 30, source: "data/mmlu", demos: "data/longgenbench/prompts/mmlu_5demos.json", expected: "data/longgenbench/mmlu/mmlu_30.jsonl"),
        Case(dataset: .mmlu, k: 60, source: "data/mmlu", demos: "data/longgenbench/prompts/mmlu_5demos.json", expected: "data/longgenbench/mmlu/mmlu_60.jsonl"),
    ]

    @Test("reference build equals the paper's file line for line, parsed and byte for byte",
          .needsShared("data/raw", "data/mmlu", "data/longgenbench"), arguments: cases)
    func referenceBuildMatchesPaperFile(_ c: Case) throws {
        let source = try #require(SharedData.path(c.source))
        let demos = try #require(SharedData.path(c.demos))
        let expected = try #require(SharedData.path(c.expected))
        let folder = TempFolder()
        let out = folder.file("out.jsonl")
        let records = try LongGenBenchBuilder.build(dataset: c.dataset, k: c.k, source: source.path, demos: demos.path)
        try LongGenBenchBuilder.write(records, to: out)

        let want = try JSONLines.readObjects(expected.path)
        let got = try JSONLines.readObjects(out)
        #expect(got.count == want.count)
        for (g, w) in zip(got, want) {
            #expect(NSDictionary(dictionary: g.object).isEqual(to: w.object), "line \(w.number) differs")
            #expect((g.object["questions"] as? [String])?.count == c.k)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: expected))
    }
}
