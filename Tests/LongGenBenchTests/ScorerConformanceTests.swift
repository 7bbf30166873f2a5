import Foundation
import Testing
import ScopeTestSupport
@testable import LongGenBench

/// The paper's scorer against ../shared/conformance/kv/scorer.json and Python `re` behaviour.
struct ScorerConformanceTests {
    @Test("every case of scorer.json gives the expected matches, correct count and accuracy", .needsShared("conformance/kv/scorer.json"))
    func scorerJSONCasesPass() throws {
        let url = try #require(SharedData.path("conformance/kv/scorer.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        #expect(cases.count >= 11)
        for c in cases {
            let name = c["name"] as? String ?? "?"
            let ds = try #require(LongGenBenchDataset(rawValue: c["dataset"] as? String ?? ""))
            let want = try #require(c["expected_result"] as? [String: Any])
            let got = LongGenBenchScorer.score(dataset: ds, pred: c["pred"] as! String, answers: c["answers"] as! [String], scorer: .paper)
            let wantExpected = (want["expected"] as! [Any]).map { $0 as? String }
            #expect(got.expected == wantExpected, "\(name) expected")
            #expect(got.predicted == (want["predicted"] as! [String]).map { Optional($0) }, "\(name) predicted")
            #expect(got.correctCount == want["correct"] as? Int, "\(name) correct")
            #expect(abs(got.accuracy - (want["accuracy"] as! Double)) < 1e-12, "\(name) accuracy")
        }
    }

    @Test("choice regex treats \\r, U+2028 and U+001C as Python re does (only \\n ends '.')")
    func choiceRegexMatchesPythonOnLineSeparators() {
        // Python: re.findall(r'Answer_\d+:\s*.*?answer is \((.*?)\)', pred) == ['B', 'C', 'A']
        let pred = "Answer_6: reasoning\rso the answer is (B).\n\nAnswer_7:\u{1C}The answer is (C)\u{2028}.\n\nAnswer_8: x\u{2028}The answer is (A)"
        let s = LongGenBenchScorer.score(dataset: .mmlu, pred: pred, answers: ["B", "C", "A"], scorer: .paper)
        #expect(s.predicted == ["B", "C", "A"])
        #expect(s.correctCount == 3)
    }

    @Test("GSM8K regexes take Unicode digits and \\x1f as whitespace like Python re")
    func gsm8kRegexMatchesPythonOnUnicode() {
        // Python: findall(..., DOTALL) == ['١٨', '3']; search(r'####\s*(\d+)', 'so #### \x1f42').group(1) == '42'
        let s = LongGenBenchScorer.score(dataset: .gsm8k, pred: "Answer_9: The answer is \u{661}\u{668}.\n\nAnswer_10:\r\nThe answer is 3",
                                         answers: ["so #### \u{1F}42", "#### 3"], scorer: .paper)
        #expect(s.predicted == ["\u{661}\u{668}", "3"])
        #expect(s.expected == ["42", "3"])
        #expect(s.correct == [false, true])
    }

    @Test("by-index compares each answer with the first prediction carrying its number")
    func byIndexUsesQuestionNumbers() {
        let pred = "Answer_10:\nThe answer is 3.\n\nAnswer_9:\nThe answer is 18.\n\nAnswer_9:\nThe answer is 5.\n\nAnswer_12:\nThe answer is 7."
        let s = LongGenBenchScorer.score(dataset: .gsm8k, pred: pred, answers: ["#### 18", "#### 3", "#### 1", "#### 7"], scorer: .byIndex)
        #expect(s.predicted == ["18", "3", nil, "7"])
        #expect(s.correct == [true, true, false, true])
        let paper = LongGenBenchScorer.score(dataset: .gsm8k, pred: pred, answers: ["#### 18", "#### 3", "#### 1", "#### 7"], scorer: .paper)
        #expect(paper.predicted == ["3", "18", "5", "7"])
        #expect(paper.correct == [false, false, false, true])
    }

    @Test("corrected scorer: commas, signs, decimals, $ and blocks that do not swallow the next one")
    func correctedGSM8KNumbers() {
        let pred = "Answer_9:\nThe answer is $18.\n\nAnswer_10:\nThe answer is -3.\n\nAnswer_11:\nThe answer is 1,600.00\n\nAnswer_12:\nno number here\n\nAnswer_13:\nThe answer is 2.5."
        let s = LongGenBenchScorer.score(dataset: .gsm8k, pred: pred,
                                         answers: ["x #### 18", "x #### -3", "x #### 1,600", "x #### 4", "x #### 2.50"], scorer: .corrected)
        #expect(s.expected == ["18", "-3", "1600", "4", "2.5"])
        #expect(s.predicted == ["18", "-3", "1600", nil, "2.5"])
        #expect(s.correct == [true, true, true, false, true])
    }

    @Test("corrected scorer: choices across lines, lowercase and extra text normalised, article 'a' ignored")
    func correctedChoices() {
        let pred = "Answer_6:\nLet's think.\nThe most likely answer is a \"garden\".\nSo the answer is\n(B).\n\nAnswer_7: The answer is (c).\n\nAnswer_8: The answer is (A Paris).\n\nAnswer_9: The answer is D."
        let s = LongGenBenchScorer.score(dataset: .csqa, pred: pred, answers: ["B", "C", "A", "D"], scorer: .corrected)
        #expect(s.predicted == ["B", "C", "A", "D"])
        #expect(s.correctCount == 4)
        #expect(LongGenBenchScorer.score(dataset: .csqa, pred: pred, answers: ["B", "C", "A", "D"], scorer: .paper).correctCount == 0)
    }

    @Test("dataset score is round(100·mean, 4) with numpy's pairwise sum; no examples gives nil")
    func datasetScoreRounding() {
        #expect(LongGenBenchScorer.datasetScore([1, 0, 0]) == 33.3333)
        #expect(LongGenBenchScorer.datasetScore([2.0 / 3.0]) == 66.6667)
        #expect(LongGenBenchScorer.datasetScore([]) == nil)
        let many = (0..<300).map { Double($0 % 7) / 7 }
        var naive = 0.0
        for x in many { naive += x }
        #expect(abs(NumpyMath.pairwiseSum(many[...]) - naive) < 1e-9)
    }
}
