/// The synthetic long-output `recall` task: K short facts (`Item_7: the lamp is green`) in the prompt,
/// and the model writes the whole list back. The answer to item i depends on prompt tokens far back,
/// so KV-compression methods show differences even on a small model.
///
/// Format (plain-text continuation with a one-shot demo of the copy; see docs/recall.md):
/// ```
/// A list, then the same list copied exactly.
/// List: Item_1: the cup is red. Item_2: …
/// Copy: Item_1: the cup is red. Item_2: …
///
/// List:
/// Item_1: the lamp is green
/// …
/// Copy:
/// Item_1: the lamp is
/// ```
public enum RecallTask {
    /// Objects named in the facts (distinct within one prompt while K ≤ their count).
    public static let objects = ["lamp", "cup", "door", "book", "chair", "coat", "hat", "box", "car", "bag", "pen",
                                 "bike", "ball", "key", "ring", "shoe", "desk", "bed", "boat", "kite", "fan", "bell",
                                 "jar", "rug", "sock", "vase", "drum", "tent", "fork", "bowl", "clock", "spoon",
                                 "plate", "shirt", "phone", "bottle", "brush", "glove", "sofa", "mask"]
    /// The few values a fact can take (small set: the 135M model copies them reliably).
    public static let values = ["red", "blue", "green", "black", "white", "pink"]

    /// Builds `count` examples with `k` facts each, deterministic per `seed`.
    public static func build(k: Int, count: Int, seed: UInt64) throws -> [BenchmarkRecord] {
        guard k >= 1 else { throw LongGenBenchError("recall: K must be ≥ 1, got \(k)") }
        guard count >= 1 else { throw LongGenBenchError("recall: example count must be ≥ 1, got \(count)") }
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in record(k: k, rng: &rng) }
    }

    static func record(k: Int, rng: inout SplitMix64) -> BenchmarkRecord {
        var pool = objects
        var facts: [(String, String)] = []
        for _ in 0..<k {
            if pool.isEmpty { pool = objects }
            let o = pool.remove(at: Int(rng.next() % UInt64(pool.count)))
            facts.append((o, values[Int(rng.next() % UInt64(values.count))]))
        }
        let demo = [("cup", "red"), ("pen", "blue"), ("hat", "white")]
        let demoText = demo.enumerated().map { "Item_\($0 + 1): the \($1.0) is \($1.1)" }.joined(separator: "\n")
        var prompt = "A list, then the same list copied exactly.\nList:\n\(demoText)\nCopy:\n\(demoText)\n\nList:\n"
        prompt += facts.enumerated().map { "Item_\($0 + 1): the \($1.0) is \($1.1)" }.joined(separator: "\n")
        prompt += "\nCopy:\nItem_1: the \(facts[0].0) is"
        return BenchmarkRecord(prompt: prompt,
                               questions: facts.enumerated().map { "Item_\($0 + 1): the \($1.0) is" },
                               answers: facts.map(\.1))
    }

    /// Scores a prediction: expected item i is correct when the first line naming `Item_i` (or, for item 1,
    /// the text before any item label, since the prompt ends inside item 1) gives its value. Missing items
    /// are wrong; extra or repeated items are ignored.
    public static func score(pred: String, questions: [String], answers: [String]) -> ExampleScore {
        let text = " " + pred  // the prompt ends with "Item_1: the <object> is"
        var found: [Int: String] = [:]
        var current = 1
        var segment = ""
        func flush() {
            if found[current] == nil, let v = firstWord(after: segment) { found[current] = v }
        }
        var i = text.startIndex
        while i < text.endIndex {
            if text[i...].hasPrefix("Item_") {
                flush()
                var j = text.index(i, offsetBy: 5)
                var digits = ""
                while j < text.endIndex, text[j].isASCII, text[j].isNumber { digits.append(text[j]); j = text.index(after: j) }
                current = Int(digits) ?? -1
                segment = ""
                i = j
                continue
            }
            segment.append(text[i])
            i = text.index(after: i)
        }
        flush()
        let predicted: [String?] = answers.indices.map { found[$0 + 1] }
        let correct = answers.indices.map { predicted[$0] == answers[$0].lowercased() }
        return ExampleScore(expected: answers.map { Optional($0) }, predicted: predicted, correct: correct)
    }

    /// The value in "…: the lamp is green…" (the word after " is "), or the first word when the segment
    /// starts right after "is".
    static func firstWord(after segment: String) -> String? {
        let body: Substring
        if let r = segment.range(of: " is ") { body = segment[r.upperBound...] } else if segment.contains(":") { return nil } else { body = Substring(segment) }
        let word = body.drop(while: { $0 == " " }).prefix(while: { $0.isLetter })
        return word.isEmpty ? nil : word.lowercased()
    }
}

/// A small deterministic generator (SplitMix64), so recall files are identical per seed on every platform.
public struct SplitMix64 {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
