import Foundation
import SplitMix

/// The synthetic long-output `recall` task: K numbered facts (`Item_7: green`) in the prompt, and the model
/// writes the whole list back. The answer to item i depends on prompt tokens far back, so KV-compression
/// methods show differences even on a small model.
///
/// Record prompt (the user message; see docs/recall.md for the formats tried):
/// ```
/// Here is a list:
/// Item_1: black
/// …
/// Item_30: pink
/// Write the same list again, exactly.
/// ```
/// The run wraps it in the model's chat template and starts the answer with `Item_1:`
/// (`LongGenBenchDataset.recall.answerPrefix`), so the generated text continues item 1.
public enum RecallTask {
    /// The values a fact can take: six colours, each one token with its leading space in the SmolLM2 vocabulary.
    /// Chance level is 1/6 per item.
    public static let values = ["red", "blue", "green", "black", "white", "pink"]

    /// What the answer starts with; the prediction continues it.
    public static let answerPrefix = "Item_1:"

    /// Default tokens to generate for `k` facts: about 7 tokens per item (`\nItem_12: white`) plus slack.
    public static func defaultMaxNewTokens(k: Int) -> Int { 8 * k }

    /// Builds `count` examples with `k` facts each, deterministic per `seed` (SplitMix64).
    public static func build(k: Int, count: Int, seed: UInt64) throws -> [BenchmarkRecord] {
        guard k >= 1 else { throw LongGenBenchError("recall: --k must be at least 1 (got \(k))") }
        guard count >= 1 else { throw LongGenBenchError("recall: --count must be at least 1 (got \(count))") }
        try SyntheticTaskSize.check("recall", [("--k", k), ("--count", count)])
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in record(k: k, rng: &rng) }
    }

    static func record(k: Int, rng: inout SplitMix64) -> BenchmarkRecord {
        let facts = (0..<k).map { _ in values[Int(rng.next() % UInt64(values.count))] }
        let questions = (1...k).map { "Item_\($0):" }
        let lines = zip(questions, facts).map { "\($0) \($1)" }
        let prompt = "Here is a list:\n" + lines.joined(separator: "\n") + "\nWrite the same list again, exactly."
        return BenchmarkRecord(prompt: prompt, questions: questions, answers: facts)
    }

    static let label = try! NSRegularExpression(pattern: "Item_([0-9]{1,6}):[ \\t]*([A-Za-z]*)")

    /// Scores a prediction (the text generated after `answerPrefix`). Item i is right only when the first
    /// `Item_i:` label in `answerPrefix + pred` is followed by item i's value (letters compared case-insensitively).
    /// Missing items are wrong; later repeats of a label and items beyond K are ignored.
    public static func score(pred: String, answers: [String]) -> ExampleScore {
        let text = (answerPrefix + pred) as NSString
        var found: [Int: String] = [:]
        for m in label.matches(in: text as String, range: NSRange(location: 0, length: text.length)) {
            guard let n = Int(text.substring(with: m.range(at: 1))), found[n] == nil else { continue }
            found[n] = text.substring(with: m.range(at: 2)).lowercased()
        }
        let predicted: [String?] = answers.indices.map { found[$0 + 1].flatMap { $0.isEmpty ? nil : $0 } }
        let correct = answers.indices.map { predicted[$0] != nil && predicted[$0] == answers[$0].lowercased() }
        return ExampleScore(expected: answers.map { Optional($0) }, predicted: predicted, correct: correct)
    }
}

/// The size limit of a synthetic task's file: its fact lines (`k · count`, times `copies` for
/// repeats). Ten million lines is far beyond any context (a line is at least four tokens) and keeps
/// the file near 200 MB.
enum SyntheticTaskSize {
    static let maxLines = 10_000_000

    /// Throws naming the flags when their product exceeds `maxLines`.
    static func check(_ task: String, _ factors: [(flag: String, value: Int)]) throws {
        var lines = 1, overflow = false
        for f in factors where !overflow { (lines, overflow) = lines.multipliedReportingOverflow(by: f.value) }
        guard overflow || lines > maxLines else { return }
        let product = factors.map(\.flag).joined(separator: " × ")
        throw LongGenBenchError("\(task): \(product) = \(overflow ? "more than \(Int.max)" : "\(lines)") fact lines, more than the limit of \(maxLines); lower \(factors.map(\.flag).joined(separator: ", "))")
    }
}
