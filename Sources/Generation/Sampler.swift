import Foundation
import Kernels
import SplitMix

/// Sampling settings: temperature 0 is greedy (argmax, lowest id on ties).
public struct SamplingOptions: Sendable, Equatable {
    public var temperature: Float
    public var topK: Int
    public var topP: Float
    public var seed: UInt64

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 42) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }

    public static let greedy = SamplingOptions()

    /// Throws when a value is out of range, naming the option.
    public func validate() throws {
        guard temperature >= 0, temperature.isFinite else { throw GenerationError("--temperature must be ≥ 0, got \(temperature)") }
        guard topK >= 0 else { throw GenerationError("--top-k must be ≥ 0, got \(topK)") }
        guard topP > 0, topP <= 1 else { throw GenerationError("--top-p must be in (0, 1], got \(topP)") }
    }
}

/// Picks the next token from logits: greedy, or temperature → top-k → top-p → draw.
public struct Sampler: Sendable {
    public let options: SamplingOptions
    private var rng: SplitMix64

    public init(_ options: SamplingOptions) {
        self.options = options
        self.rng = SplitMix64(seed: options.seed)
    }

    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        if options.temperature == 0 { return Sampler.argmax(logits) }
        var candidates = (0..<logits.count).map { (id: Int32($0), logit: logits[$0]) }
        candidates.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
        if options.topK > 0 && options.topK < candidates.count { candidates.removeSubrange(options.topK...) }
        let maxLogit = candidates[0].logit
        var probs = candidates.map { expf(($0.logit - maxLogit) / options.temperature) }
        let total = probs.reduce(0, +)
        probs = probs.map { $0 / total }
        if options.topP < 1 {
            var cumulative: Float = 0
            var keep = probs.count
            for (i, p) in probs.enumerated() {
                cumulative += p
                if cumulative >= options.topP { keep = i + 1; break }
            }
            probs.removeSubrange(keep...)
            candidates.removeSubrange(keep...)
            let s = probs.reduce(0, +)
            probs = probs.map { $0 / s }
        }
        let r = Float(rng.nextDouble())
        var cumulative: Float = 0
        for (i, p) in probs.enumerated() {
            cumulative += p
            if r < cumulative { return candidates[i].id }
        }
        return candidates[candidates.count - 1].id
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
