/// Turns the MMLU chain-of-thought demos (`"…\n\nQ: …\nA: … The answer is (X).\n\nQ: …"`) into
/// `Question_1..5` blocks followed by `Answer_1..5` blocks.
public enum MMLUDemos {
    // `Q:.*?\(D\)` and `A:.*?The answer is.*?\)` with DOTALL (longgenbench_MMLU.py).
    static let referenceQuestion = PythonRegex("Q:\(PythonRegex.dotAll)*?\\(D\\)")
    static let referenceAnswer = PythonRegex("A:\(PythonRegex.dotAll)*?The answer is\(PythonRegex.dotAll)*?\\)")
    // A whole demo: `Q: <question with all options>\nA: <answer>` up to the next `\n\nQ: ` or the end.
    static let correctedDemo = PythonRegex(
        "Q: (\(PythonRegex.dotAll)*?)\\nA: (\(PythonRegex.dotAll)*?)(?=\\n\\nQ: |\(PythonRegex.space)*\\z)")

    /// The reference formatting: the `(D)` option text is dropped from every question and the answers lose
    /// their final `.` (methods.md §5.2, §8 Q21).
    public static func reference(_ demoText: String) -> String {
        var out = ""
        for (i, q) in referenceQuestion.wholeMatches(in: demoText).enumerated() {
            out += "Question_\(i + 1):\n" + dropPrefix("Q: ", PythonText.strip(q)) + "\n\n"
        }
        for (i, a) in referenceAnswer.wholeMatches(in: demoText).enumerated() {
            out += "Answer_\(i + 1):\n" + dropPrefix("A: ", PythonText.strip(a)) + "\n\n"
        }
        return out
    }

    /// The corrected formatting: whole questions with every option, whole answers.
    public static func corrected(_ demoText: String) -> String {
        let demos = correctedDemo.matches(in: demoText)
        var out = ""
        for (i, d) in demos.enumerated() {
            out += "Question_\(i + 1):\n" + PythonText.strip(d[0] ?? "") + "\n\n"
        }
        for (i, d) in demos.enumerated() {
            out += "Answer_\(i + 1):\n" + PythonText.strip(d[1] ?? "") + "\n\n"
        }
        return out
    }

    static func dropPrefix(_ prefix: String, _ s: String) -> String {
        s.unicodeScalars.starts(with: prefix.unicodeScalars)
            ? String(String.UnicodeScalarView(s.unicodeScalars.dropFirst(prefix.unicodeScalars.count))) : s
    }
}
