import Foundation
import Testing
@testable import LongGenBench

/// Issue 11 item 4: a record whose question and answer counts differ, or that has no question,
/// is an error naming the file and line (it used to run and score 0.0 silently).
struct RecordValidationTests {
    @Test("data file: 2 questions but 1 answer, and 0 questions, are refused at their line")
    func dataRecords() throws {
        let t = TempFolder()
        let good = BenchmarkRecord(prompt: "p", questions: ["q"], answers: ["#### 1"]).jsonLine
        let p = t.write("gsm8k_2.jsonl", good + "\n{\"prompt\": \"p\", \"questions\": [\"a\", \"b\"], \"answers\": [\"#### 1\"]}\n")
        #expect(throws: LongGenBenchError.at(p, line: 2, "2 questions but 1 answers (they must pair up)")) {
            try LongGenBenchData.load(p)
        }
        let q = t.write("gsm8k_0.jsonl", "{\"prompt\": \"p\", \"questions\": [], \"answers\": []}\n")
        #expect(throws: LongGenBenchError.at(q, line: 1, "the record has 0 questions")) {
            try LongGenBenchData.load(q)
        }
    }

    @Test("results file: mismatched counts or no answers are refused when scoring")
    func resultLines() throws {
        let t = TempFolder()
        let p = t.write("gsm8k/ALLKV+None.jsonl",
                        "{\"index\": 0, \"pred\": \"x\", \"questions\": [\"a\", \"b\"], \"answers\": [\"#### 1\"]}\n")
        #expect(throws: LongGenBenchError.at(p, line: 1, "2 questions but 1 answers (they must pair up)")) {
            try ScoreReport.score(paths: [t.path], scorer: .paper)
        }
        let u = TempFolder()
        let q = u.write("gsm8k/ALLKV+None.jsonl", "{\"index\": 0, \"pred\": \"x\", \"answers\": []}\n")
        #expect(throws: LongGenBenchError.at(q, line: 1, "field 'answers' is empty (nothing to score)")) {
            try ScoreReport.score(paths: [u.path], scorer: .paper)
        }
    }
}
