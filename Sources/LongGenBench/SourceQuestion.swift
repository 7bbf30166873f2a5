/// One source question as read from GSM8K, CommonsenseQA or MMLU.
public struct SourceQuestion: Equatable, Sendable {
    /// The question text (GSM8K, CSQA stem, MMLU question cell).
    public var text: String
    /// Answer options as (label, text); empty for GSM8K.
    public var options: [(label: String, text: String)]
    /// The answer: the GSM8K solution ending in `#### N`, or a choice letter.
    public var answer: String
    /// `file:line` the question came from (for error messages).
    public var origin: String

    public init(text: String, options: [(label: String, text: String)] = [], answer: String, origin: String) {
        self.text = text
        self.options = options
        self.answer = answer
        self.origin = origin
    }

    public static func == (a: SourceQuestion, b: SourceQuestion) -> Bool {
        a.text == b.text && a.answer == b.answer && a.origin == b.origin
            && a.options.map(\.label) == b.options.map(\.label) && a.options.map(\.text) == b.options.map(\.text)
    }
}

/// Readers for the source layouts users have.
public enum SourceReader {
    /// GSM8K test JSONL: one `{"question": str, "answer": str}` per line.
    public static func gsm8k(_ path: String) throws -> [SourceQuestion] {
        try JSONLines.readObjects(path).map { line in
            guard let q = line.object["question"] as? String else {
                throw LongGenBenchError.at(path, line: line.number, "field 'question' is missing or not a string")
            }
            guard let a = line.object["answer"] as? String else {
                throw LongGenBenchError.at(path, line: line.number, "field 'answer' is missing or not a string")
            }
            return SourceQuestion(text: q, answer: a, origin: "\(path):\(line.number)")
        }
    }

    /// CommonsenseQA JSONL in the Hugging Face layout (`question`, `choices{label,text}`, `answerKey`)
    /// or the official layout (`question{stem, choices[{label,text}]}`, `answerKey`), detected per line.
    public static func csqa(_ path: String) throws -> [SourceQuestion] {
        try JSONLines.readObjects(path).map { line in
            let o = line.object
            func fail(_ m: String) -> LongGenBenchError { .at(path, line: line.number, m) }
            guard let answer = o["answerKey"] as? String else { throw fail("field 'answerKey' is missing or not a string") }
            var stem: String
            var labels: [String], texts: [String]
            if let q = o["question"] as? String {
                stem = q
                guard let choices = o["choices"] as? [String: Any],
                      let l = choices["label"] as? [String], let t = choices["text"] as? [String] else {
                    throw fail("field 'choices' must hold 'label' and 'text' string lists (Hugging Face layout)")
                }
                labels = l; texts = t
            } else if let q = o["question"] as? [String: Any] {
                guard let s = q["stem"] as? String else { throw fail("field 'question.stem' is missing or not a string") }
                stem = s
                guard let choices = q["choices"] as? [[String: Any]] else {
                    throw fail("field 'question.choices' is missing or not a list of objects (official layout)")
                }
                labels = []; texts = []
                for (i, c) in choices.enumerated() {
                    guard let l = c["label"] as? String, let t = c["text"] as? String else {
                        throw fail("question.choices[\(i)] needs string 'label' and 'text'")
                    }
                    labels.append(l); texts.append(t)
                }
            } else {
                throw fail("field 'question' is missing (expected a string or an object with 'stem')")
            }
            guard labels.count == texts.count else {
                throw fail("choices have \(labels.count) labels but \(texts.count) texts")
            }
            return SourceQuestion(text: stem, options: Array(zip(labels, texts)).map { ($0.0, $0.1) },
                                  answer: answer, origin: "\(path):\(line.number)")
        }
    }
}
