import Foundation
import Testing
@testable import LongGenBench

/// Loading data files for `run` and refusing results files the runner did not write.
struct RunInputsTests {
    @Test("the dataset comes from the file name, else the folder, else the records")
    func datasetInference() throws {
        let t = TempFolder()
        let gsm = BenchmarkRecord(prompt: "p", questions: ["q"], answers: ["#### 1"]).jsonLine + "\n"
        let mmlu = BenchmarkRecord(task: "anatomy", prompt: "p", questions: ["q"], answers: ["A"]).jsonLine + "\n"
        let csqa = BenchmarkRecord(prompt: "p", questions: ["q"], answers: ["B"]).jsonLine + "\n"
        #expect(try LongGenBenchData.load(t.write("csqa_40.jsonl", gsm)).dataset == .csqa)
        #expect(try LongGenBenchData.load(t.write("mmlu/x.jsonl", gsm)).dataset == .mmlu)
        #expect(try LongGenBenchData.load(t.write("a.jsonl", mmlu)).dataset == .mmlu)
        #expect(try LongGenBenchData.load(t.write("b.jsonl", gsm)).dataset == .gsm8k)
        #expect(try LongGenBenchData.load(t.write("c.jsonl", csqa)).dataset == .csqa)
        #expect(try LongGenBenchData.load(t.write("d.jsonl", csqa), dataset: .mmlu).dataset == .mmlu)
        #expect(LongGenBenchDataset.paperMaxNewTokens(k: 30) == 4096 && LongGenBenchDataset.paperMaxNewTokens(k: 40) == 7950)
    }

    @Test("a data file with a record missing 'questions' is an error naming file and line")
    func badDataFile() throws {
        let t = TempFolder()
        let p = t.write("gsm8k_1.jsonl", BenchmarkRecord(prompt: "p", questions: ["q"], answers: ["#### 1"]).jsonLine + "\n{\"prompt\": \"p\", \"answers\": []}\n")
        #expect(throws: LongGenBenchError.at(p, line: 2, "field 'questions' is missing or not a list of strings")) {
            try LongGenBenchData.load(p)
        }
    }

    @Test("a data file mixing MMLU records (with 'task') and others, or with a non-string 'task', is an error at the line")
    func mixedDatasetsRefused() throws {
        let t = TempFolder()
        let mmlu = BenchmarkRecord(task: "anatomy", prompt: "p", questions: ["q"], answers: ["A"]).jsonLine
        let gsm8k = BenchmarkRecord(prompt: "p", questions: ["q"], answers: ["#### 1"]).jsonLine
        let a = t.write("a.jsonl", mmlu + "\n" + mmlu + "\n" + gsm8k + "\n")
        #expect(throws: LongGenBenchError.at(a, line: 3, "no field 'task', but the file's first record is MMLU (has 'task'); one dataset per file")) {
            try LongGenBenchData.load(a)
        }
        let b = t.write("b.jsonl", gsm8k + "\n" + mmlu + "\n")
        #expect(throws: LongGenBenchError.at(b, line: 2, "field 'task' (MMLU), but the file's first record has none; one dataset per file")) {
            try LongGenBenchData.load(b)
        }
        let c = t.write("c.jsonl", #"{"task": 123, "prompt": "p", "questions": ["q"], "answers": ["A"]}"# + "\n")
        #expect(throws: LongGenBenchError.at(c, line: 1, "field 'task' is not a string")) { try LongGenBenchData.load(c) }
        #expect(try LongGenBenchData.load(t.write("d.jsonl", mmlu + "\n" + mmlu + "\n")).dataset == .mmlu)
    }

    @Test("a data file whose records have different numbers of questions (K) is an error at the first differing line")
    func mixedKRefused() throws {
        let t = TempFolder()
        let two = BenchmarkRecord(prompt: "p", questions: ["q1", "q2"], answers: ["#### 1", "#### 2"]).jsonLine
        let three = BenchmarkRecord(prompt: "p", questions: ["q1", "q2", "q3"], answers: ["#### 1", "#### 2", "#### 3"]).jsonLine
        let p = t.write("gsm8k_2.jsonl", two + "\n" + two + "\n\n" + three + "\n")
        #expect(throws: LongGenBenchError.at(p, line: 4, "3 questions, but the file's first record has 2; one K per file")) {
            try LongGenBenchData.load(p)
        }
        #expect(try LongGenBenchData.load(t.write("gsm8k_3.jsonl", three + "\n" + three + "\n")).k == 3)
    }

    @Test("the results store refuses a file whose lines have no 'index' instead of overwriting it")
    func storeRefusesForeignFile() throws {
        let t = TempFolder()
        let p = t.write("gsm8k/ALLKV+None.jsonl", "{\"pred\": \"x\", \"answers\": []}\n")
        #expect(throws: LongGenBenchError.at(p, line: 1, "field 'index' is missing (not a results file of this runner?)")) {
            _ = try ResultsStore(path: p)
        }
        #expect(try String(contentsOfFile: p, encoding: .utf8) == "{\"pred\": \"x\", \"answers\": []}\n")
    }

    @Test("a file where the results folder should be is named as such on the first append")
    func storeNamesAFileInThePath() throws {
        let t = TempFolder()
        let file = t.write("out", "not a folder")
        let store = try ResultsStore(path: file + "/gsm8k/ALLKV+None.jsonl")
        #expect(throws: LongGenBenchError("\(file)/gsm8k: cannot create the results folder: \(file) is a file, not a folder")) {
            try store.append(index: 0, jsonLine: "{\"index\": 0}")
        }
    }
}
