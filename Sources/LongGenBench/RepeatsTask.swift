import Foundation
import SplitMix

/// The synthetic long-output `repeats` task: K labelled facts (`fox: green`) in the prompt, and the model writes
/// the whole list R times in one output (docs/repeats.md). Copy r can be copied from copy r−1, which the model
/// itself generated a few hundred tokens earlier, or from the prompt further back; the output is R times the list,
/// so most of the context is generated text and decoding-phase eviction decides what is still there.
///
/// Record prompt (the user message):
/// ```
/// Here is a list:
/// fox: green
/// …
/// owl: pink
/// Write the same list again, exactly, 4 times.
/// ```
/// `questions[r·K + i]` is `copy r+1: key_i` and `answers[r·K + i]` is `key_i: value_i`, so a record carries K and R.
/// The run starts the answer with the first key and a colon (`fox:`; `answerPrefix(answers:)`).
public enum RepeatsTask {
    /// The keys: 24 short animal names (K distinct ones per prompt).
    public static let keys = [
        "cat", "dog", "fox", "owl", "bee", "cow", "pig", "rat", "ant", "bat", "hen", "elk",
        "ape", "eel", "yak", "emu", "ram", "jay", "cod", "gnu", "horse", "duck", "frog", "wolf",
    ]

    /// The values: recall's six colours (chance level 1/6 per item).
    public static var values: [String] { RecallTask.values }

    /// Default tokens to generate for `items` = K·R expected lines: about 5 tokens a line (`\nfox: green`),
    /// a separator line between copies, and slack.
    public static func defaultMaxNewTokens(items: Int) -> Int { 8 * items }

    /// What the answer starts with: the first expected line's key and its colon (`fox:`); empty for no answers.
    public static func answerPrefix(answers: [String]) -> String {
        guard let first = answers.first, let colon = first.firstIndex(of: ":") else { return "" }
        return String(first[...colon])
    }

    /// Builds `count` examples of `k` distinct keys written `copies` times, deterministic per `seed` (SplitMix64).
    public static func build(k: Int, copies: Int, count: Int, seed: UInt64) throws -> [BenchmarkRecord] {
        guard k >= 1, k <= keys.count else {
            throw LongGenBenchError("repeats: --k must be between 1 and \(keys.count) (the key pool; got \(k))")
        }
        guard copies >= 1 else { throw LongGenBenchError("repeats: --copies must be at least 1 (got \(copies))") }
        guard count >= 1 else { throw LongGenBenchError("repeats: --count must be at least 1 (got \(count))") }
        try SyntheticTaskSize.check("repeats", [("--k", k), ("--copies", copies), ("--count", count)])
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in record(k: k, copies: copies, rng: &rng) }
    }

    static func record(k: Int, copies: Int, rng: inout SplitMix64) -> BenchmarkRecord {
        // The first k keys of a Fisher–Yates shuffle of the pool, then one value per key.
        var pool = keys
        for i in 0..<k {
            let j = i + Int(rng.next() % UInt64(pool.count - i))
            pool.swapAt(i, j)
        }
        let chosen = Array(pool.prefix(k))
        let lines = chosen.map { "\($0): \(values[Int(rng.next() % UInt64(values.count))])" }
        let prompt = "Here is a list:\n" + lines.joined(separator: "\n")
            + "\nWrite the same list again, exactly, \(copies) times."
        let questions = (1...copies).flatMap { r in chosen.map { "copy \(r): \($0)" } }
        let answers = (1...copies).flatMap { _ in lines }
        return BenchmarkRecord(prompt: prompt, questions: questions, answers: answers)
    }

    /// A line `key: value` (leading spaces, `*` or `-` bullets allowed; the value is the letters after the colon).
    static let line = try! NSRegularExpression(pattern: "^[ \\t*-]*([A-Za-z]+):[ \\t]*([A-Za-z]*)",
                                               options: [.anchorsMatchLines])

    /// Scores a prediction (the text generated after `answerPrefix`). The answers are K distinct `key: value`
    /// lines repeated R times. Expected line r·K + i is right when the (r+1)-th line of `answerPrefix + pred`
    /// labelled with key i carries its value (letters, case-insensitive). The order of lines within a copy and
    /// lines with other labels (separators, unknown keys) are not judged; occurrences beyond R are ignored.
    public static func score(pred: String, answers: [String]) -> ExampleScore {
        let expected = answers.map(parse)
        var slot: [String: Int] = [:]          // key → index of its first expected line
        for (n, e) in expected.enumerated() where slot[e.key] == nil { slot[e.key] = n }
        let k = slot.count
        let text = (answerPrefix(answers: answers) + pred) as NSString
        var seen: [String: Int] = [:]
        var predicted = [String?](repeating: nil, count: answers.count)
        for m in line.matches(in: text as String, range: NSRange(location: 0, length: text.length)) {
            let key = text.substring(with: m.range(at: 1)).lowercased()
            guard let first = slot[key] else { continue }
            let copy = seen[key, default: 0]
            seen[key] = copy + 1
            let n = first + copy * k
            guard n < answers.count else { continue }
            let value = text.substring(with: m.range(at: 2)).lowercased()
            predicted[n] = value.isEmpty ? nil : value
        }
        let correct = answers.indices.map { predicted[$0] != nil && predicted[$0] == expected[$0].value }
        return ExampleScore(expected: expected.map { Optional($0.value) }, predicted: predicted, correct: correct)
    }

    /// `key: value` → (lowercased key, lowercased value).
    static func parse(_ answer: String) -> (key: String, value: String) {
        let parts = answer.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return (parts.first ?? "", parts.count > 1 ? parts[1] : "")
    }
}
