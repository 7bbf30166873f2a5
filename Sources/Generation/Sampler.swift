import Foundation
import Kernels
import SplitMix

/// Sampling settings: temperature 0 is greedy (argmax, lowest id on ties). The penalties and the
/// bias change the logits before the draw (`TokenDraw`; the sampler itself only reads them).
public struct SamplingOptions: Sendable, Equatable {
    public var temperature: Float
    public var topK: Int
    public var topP: Float
    /// vLLM's and llama.cpp's `min_p` (0: off): keep the tokens at least this likely relative to the
    /// most likely one (after temperature, top-k and top-p).
    public var minP: Float = 0
    public var seed: UInt64
    /// vLLM's and llama.cpp's `repetition_penalty` (1: none): a token of the prompt or drawn before
    /// has its logit divided by it when positive, multiplied when not.
    public var repetitionPenalty: Float = 1
    /// OpenAI's `frequency_penalty` (−2…2): subtracted once per earlier draw of the token.
    public var frequencyPenalty: Float = 0
    /// OpenAI's `presence_penalty` (−2…2): subtracted from every token drawn before.
    public var presencePenalty: Float = 0
    /// OpenAI's `logit_bias`: added to those tokens' logits (−100…100).
    public var logitBias: [Int32: Float] = [:]

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 42) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }

    public static let greedy = SamplingOptions()

    /// The largest |frequency or presence penalty| and |bias| accepted (OpenAI's ranges).
    public static let maxPenalty: Float = 2
    public static let maxBias: Float = 100

    /// Whether the logits reach the sampler unchanged (no penalty, no bias).
    public var changesNoLogit: Bool {
        repetitionPenalty == 1 && frequencyPenalty == 0 && presencePenalty == 0 && logitBias.isEmpty
    }

    /// Throws when a value is out of range, naming the option.
    public func validate() throws {
        guard temperature >= 0, temperature.isFinite else { throw GenerationError("--temperature must be ≥ 0, got \(temperature)") }
        guard topK >= 0 else { throw GenerationError("--top-k must be ≥ 0, got \(topK)") }
        guard topP > 0, topP <= 1 else { throw GenerationError("--top-p must be in (0, 1], got \(topP)") }
        guard minP >= 0, minP <= 1 else { throw GenerationError("--min-p must be in [0, 1], got \(minP)") }
        guard repetitionPenalty > 0, repetitionPenalty.isFinite else {
            throw GenerationError("--repetition-penalty must be > 0, got \(repetitionPenalty)")
        }
        for (name, value) in [("--frequency-penalty", frequencyPenalty), ("--presence-penalty", presencePenalty)]
        where !(abs(value) <= Self.maxPenalty) {
            throw GenerationError("\(name) must be in -\(Int(Self.maxPenalty))…\(Int(Self.maxPenalty)), got \(value)")
        }
        if let (id, bias) = logitBias.first(where: { !(abs($0.value) <= Self.maxBias) || $0.key < 0 }) {
            throw GenerationError("logit bias of token \(id): \(bias) (ids ≥ 0, biases in -100…100)")
        }
    }
}

/// Picks the next token from logits: greedy, or temperature → top-k → top-p → min-p → draw.
///
/// With a temperature T > 0, token i weighs `w_i = e^((l_i − max l) / T)` (a NaN logit weighs 0 and is
/// never drawn). The candidates are the tokens in descending order of logit (equal logits: lower id
/// first), cut to the first `topK` when that is set; top-p keeps the shortest prefix of them whose
/// weight reaches `topP` of the candidates' total; min-p keeps of those the tokens whose weight is at
/// least `minP` (the most likely token weighs 1); the draw takes r ∈ [0, 1) from the seeded generator
/// and returns the first kept token at which the running weight exceeds r × the kept total.
///
/// Only as much of the descending order is sorted as these steps reach (`DescendingOrder`): a step
/// costs a pass over the logits and a sort of the likely tokens, not a sort of the vocabulary.
public struct Sampler: Sendable {
    public let options: SamplingOptions
    private var rng: SplitMix64
    private var weights: [Float] = []
    private var order = DescendingOrder()

    public init(_ options: SamplingOptions) {
        self.options = options
        self.rng = SplitMix64(seed: options.seed)
    }

    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        if options.temperature == 0 { return Sampler.argmax(logits) }
        return choose(logits, at: rng.nextDouble())
    }

    /// The token that `sample` returns at a temperature > 0 when the generator gives `r` ∈ [0, 1).
    mutating func choose(_ logits: UnsafeBufferPointer<Float>, at r: Double) -> Int32 {
        let top = Sampler.argmax(logits)
        // Nothing to draw from: one token, or a largest logit of ±∞ (+∞ outweighs every other
        // token; −∞ everywhere leaves no weight): argmax decides.
        guard logits.count > 1, logits[Int(top)].isFinite else { return top }
        let n = logits.count, maxLogit = logits[Int(top)], temperature = options.temperature
        if weights.count < n { weights = [Float](repeating: 0, count: n) }
        return weights.withUnsafeMutableBufferPointer { w in
            Self.fillWeights(logits, maxLogit: maxLogit, temperature: temperature, into: w.baseAddress!)
            order.reset(maxLogit: maxLogit, temperature: temperature)
            // The candidates and their total weight.
            let candidates = options.topK > 0 ? min(options.topK, n) : n
            var total = 0.0
            if candidates < n {
                _ = order.reaches(candidates - 1, logits)
                for j in 0..<min(candidates, order.count) { total += Double(w[Int(order[j])]) }
            } else {
                for i in 0..<n { total += Double(w[i]) }
            }
            // Top-p: the shortest prefix whose weight reaches topP of the total.
            var kept = candidates, keptTotal = total
            if options.topP < 1 {
                let goal = Double(options.topP) * total
                var running = 0.0, j = 0
                while j < candidates, order.reaches(j, logits) {
                    running += Double(w[Int(order[j])])
                    j += 1
                    if running >= goal { break }
                }
                kept = j
                keptTotal = running
            }
            // Min-p: of those, the leading tokens whose weight is at least minP (the first weighs 1).
            if options.minP > 0 {
                var running = 0.0, j = 0
                while j < kept, order.reaches(j, logits), w[Int(order[j])] >= options.minP {
                    running += Double(w[Int(order[j])])
                    j += 1
                }
                kept = j
                keptTotal = running
            }
            // The draw.
            let target = r * keptTotal
            var running = 0.0, j = 0, last = top
            while j < kept, order.reaches(j, logits) {
                let id = order[j], weight = w[Int(id)]
                running += Double(weight)
                if weight > 0 { last = id }
                if running > target { return id }
                j += 1
            }
            return last   // r·total past the running sum by rounding: the last token with weight
        }
    }

    /// `w[i] = e^((l_i − maxLogit) / temperature)`, 0 for a NaN logit.
    private static func fillWeights(_ logits: UnsafeBufferPointer<Float>, maxLogit: Float, temperature: Float,
                                    into w: UnsafeMutablePointer<Float>) {
        let n = logits.count, l = UnsafeRawPointer(logits.baseAddress!)
        let m = SIMD8<Float>(repeating: maxLogit), t = SIMD8<Float>(repeating: temperature)
        var i = 0
        while i + 8 <= n {
            let x = l.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let e = VectorMath.exp((x - m) / t)
            UnsafeMutableRawPointer(w + i).storeBytes(of: e.replacing(with: 0, where: x .!= x), as: SIMD8<Float>.self)
            i += 8
        }
        for i in i..<n {
            let x = logits[i]
            w[i] = x.isNaN ? 0 : expf((x - maxLogit) / temperature)
        }
    }

    /// Index of the largest logit (the lowest index among equal maxima; NaN never wins; 0 when no
    /// logit exceeds −∞).
    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        guard let base = logits.baseAddress else { return 0 }
        return Int32(VectorMath.argmax(base, count: logits.count))
    }
}

/// An error from generation, with a message naming the problem.
public struct GenerationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
