import Foundation

/// The model's log-probabilities at one generated position (the server's `logprobs`): the sampled
/// token's and the `k` most likely tokens'. They come from the raw logits, log softmax in double
/// precision: what the model assigns, before temperature, top-k or top-p shape the draw.
public struct TokenLogprobs: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var id: Int32
        public var logprob: Double

        public init(id: Int32, logprob: Double) {
            self.id = id
            self.logprob = logprob
        }
    }

    /// The most alternatives a position may list (OpenAI's limit for `top_logprobs`).
    public static let maxTop = 20

    /// The sampled token.
    public var chosen: Entry
    /// The `k` most likely tokens, most likely first (equal logits: lower id first).
    public var top: [Entry]

    /// The log-probabilities of `chosen` and of the `k` largest logits.
    public init(logits: UnsafeBufferPointer<Float>, chosen: Int32, top k: Int) {
        let lse = Self.logSumExp(logits)
        @inline(__always) func entry(_ id: Int32) -> Entry { Entry(id: id, logprob: Double(logits[Int(id)]) - lse) }
        self.chosen = entry(chosen)
        top = Self.largest(logits, k).map(entry)
    }

    /// log Σ exp(lᵢ) in double precision, stable (the largest logit factored out); NaN logits count
    /// as −∞ (weight 0), and so does a row with no finite logit (−∞).
    public static func logSumExp(_ logits: UnsafeBufferPointer<Float>) -> Double {
        var m = -Double.infinity
        for v in logits where Double(v) > m { m = Double(v) }
        guard m.isFinite else { return m == .infinity ? .infinity : -.infinity }
        var s = 0.0
        for v in logits where !v.isNaN { s += exp(Double(v) - m) }
        return m + log(s)
    }

    /// The ids of the `k` largest logits, largest first; equal logits: lower id first; NaN never.
    public static func largest(_ logits: UnsafeBufferPointer<Float>, _ k: Int) -> [Int32] {
        guard k > 0 else { return [] }
        var best: [(id: Int32, value: Float)] = []
        best.reserveCapacity(k + 1)
        for (i, v) in logits.enumerated() where !v.isNaN {
            if best.count == k, v <= best[k - 1].value { continue }
            var j = best.count
            while j > 0 && best[j - 1].value < v { j -= 1 }
            best.insert((Int32(i), v), at: j)
            if best.count > k { best.removeLast() }
        }
        return best.map(\.id)
    }
}
