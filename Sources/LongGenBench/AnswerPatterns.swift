import Foundation

/// The regular expressions of `eval_longgenbench.py`, written for ICU with Python's `\s` and `.` spelled out.
enum AnswerPatterns {
    static let s = PythonRegex.space, all = PythonRegex.dotAll, line = PythonRegex.dotNoNewline

    /// `re.search(r'####\s*(\d+)', ans)`.
    static let gsm8kTruth = PythonRegex("####\(s)*(\\d+)")
    /// `re.findall(r'Answer_\d+:\s*.*?answer is (\d+)', pred, re.DOTALL)`, with the question number captured too
    /// (an extra group does not change which spans match).
    static let gsm8kPred = PythonRegex("Answer_(\\d+):\(s)*\(all)*?answer is (\\d+)")
    /// `re.findall(r'Answer_\d+:\s*.*?answer is \((.*?)\)', pred)` (no DOTALL), question number captured too.
    static let choicePred = PythonRegex("Answer_(\\d+):\(s)*\(line)*?answer is \\((\(line)*?)\\)")

    // Corrected scorer.
    /// A block header `Answer_N:`.
    static let blockHeader = PythonRegex("Answer_(\\d+)\(s)*:")
    /// A GSM8K ground truth number after `####`: sign, `$`, thousands commas, decimals.
    static let gsm8kTruthNumber = PythonRegex("####\(s)*\\$?\(s)*(-?\(s)*\\$?\(s)*[0-9][0-9,]*(?:\\.[0-9]+)?|-?\\.[0-9]+)")
    /// "answer is" followed by a number, possibly `$`-prefixed, signed, with commas/decimals (case-insensitive).
    static let gsm8kBlockAnswer = PythonRegex("(?i:answer is)\(s)*:?\(s)*\\**\(s)*(-?)\(s)*\\$?\(s)*(-?[0-9][0-9,]*(?:\\.[0-9]+)?|-?\\.[0-9]+)")
    /// "answer is" followed by a parenthesised choice letter, either case, e.g. `(B)`, `(b)`, `(B Paris)`.
    static let choiceParenAnswer = PythonRegex("(?i:answer is)\(s)*:?\(s)*\\**\(s)*\\(\(s)*([A-Za-z])(?![A-Za-z])")
    /// "answer is" followed by a bare capital letter, e.g. `B.` (a lowercase bare letter is usually the article "a").
    static let choiceBareAnswer = PythonRegex("(?i:answer is)\(s)*:?\(s)*\\**\(s)*([A-Z])(?![A-Za-z])")

    /// A numeric string normalised: commas and `$` removed, `+`/leading zeros/trailing decimal zeros dropped.
    static func normaliseNumber(_ raw: String) -> String? {
        var t = raw.filter { $0 != "," && $0 != "$" && !$0.isWhitespace }
        var negative = false
        if t.hasPrefix("-") { negative = true; t.removeFirst() }
        guard !t.isEmpty, t.allSatisfy({ ("0"..."9").contains($0) || $0 == "." }),
              t.filter({ $0 == "." }).count <= 1 else { return nil }
        var intPart = String(t.prefix { $0 != "." })
        var frac = t.contains(".") ? String(t.split(separator: ".", omittingEmptySubsequences: false)[1]) : ""
        while frac.hasSuffix("0") { frac.removeLast() }
        while intPart.hasPrefix("0") { intPart.removeFirst() }
        if intPart.isEmpty { intPart = "0" }
        let body = frac.isEmpty ? intPart : intPart + "." + frac
        return (negative && body != "0") ? "-" + body : body
    }
}
