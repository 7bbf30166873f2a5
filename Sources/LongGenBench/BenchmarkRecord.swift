/// One line of a LongGenBench data file: K questions answered in one long output.
public struct BenchmarkRecord: Equatable, Sendable {
    /// MMLU subject (`abstract_algebra`, ...); nil for GSM8K and CSQA.
    public var task: String?
    /// Demos + "Following Question:" + the K question blocks (no system prompt).
    public var prompt: String
    public var questions: [String]
    public var answers: [String]

    public init(task: String? = nil, prompt: String, questions: [String], answers: [String]) {
        self.task = task
        self.prompt = prompt
        self.questions = questions
        self.answers = answers
    }

    /// The JSON line as the reference scripts write it (`json.dumps(..., ensure_ascii=False)`), without newline.
    public var jsonLine: String {
        var fields: [(String, PythonJSON.Value)] = []
        if let task { fields.append(("task", .string(task))) }
        fields.append(("prompt", .string(prompt)))
        fields.append(("questions", .array(questions.map { .string($0) })))
        fields.append(("answers", .array(answers.map { .string($0) })))
        return PythonJSON.encode(.object(fields))
    }

    /// Parses a data-file line; `file`/`line` locate errors.
    public static func parse(_ object: [String: Any], file: String, line: Int) throws -> BenchmarkRecord {
        guard let prompt = object["prompt"] as? String else {
            throw LongGenBenchError.at(file, line: line, "field 'prompt' is missing or not a string")
        }
        guard let questions = object["questions"] as? [String] else {
            throw LongGenBenchError.at(file, line: line, "field 'questions' is missing or not a list of strings")
        }
        guard let answers = object["answers"] as? [String] else {
            throw LongGenBenchError.at(file, line: line, "field 'answers' is missing or not a list of strings")
        }
        guard !questions.isEmpty else { throw LongGenBenchError.at(file, line: line, "the record has 0 questions") }
        guard questions.count == answers.count else {
            throw LongGenBenchError.at(file, line: line, "\(questions.count) questions but \(answers.count) answers (they must pair up)")
        }
        if let task = object["task"], !(task is String) {
            throw LongGenBenchError.at(file, line: line, "field 'task' is not a string")
        }
        return BenchmarkRecord(task: object["task"] as? String, prompt: prompt, questions: questions, answers: answers)
    }
}
