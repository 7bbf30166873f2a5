import Foundation

/// Rotary position embedding: pair i rotates by `pos · base^(-2i/d)` (divided by `rope_freqs[i]`
/// for Llama 3.1). Computed in float32 like the Hugging Face reference (float32 inverse
/// frequencies, float32 angle).
public struct RoPE: Sendable {
    /// Which two values of a head form pair i.
    public enum Layout: Sendable {
        /// `(x[2i], x[2i+1])`: GGUF's Llama layout (the converter permutes the query/key rows).
        case adjacentPairs
        /// `(x[i], x[i + d/2])`: the NEOX layout of Gemma (rows stored as in Hugging Face).
        case halves
    }

    public let dimensions: Int
    public let layout: Layout
    let inverseFrequencies: [Float]

    public init(dimensions: Int, base: Float, frequencyFactors: [Float]? = nil, layout: Layout = .adjacentPairs) {
        self.dimensions = dimensions
        self.layout = layout
        var inv: [Float] = []
        for i in 0..<(dimensions / 2) {
            var f = 1 / powf(base, Float(2 * i) / Float(dimensions))
            if let factors = frequencyFactors { f /= factors[i] }
            inv.append(f)
        }
        inverseFrequencies = inv
    }

    /// Fills `cos`/`sin` (dimensions/2 each) for `position`.
    @inline(__always)
    public func angles(position: Int, cos c: UnsafeMutablePointer<Float>, sin s: UnsafeMutablePointer<Float>) {
        let p = Float(position)
        for i in 0..<(dimensions / 2) {
            let a = p * inverseFrequencies[i]
            c[i] = cosf(a)
            s[i] = sinf(a)
        }
    }

    /// Rotates `heads` consecutive head vectors of `headDim` floats in place.
    @inline(__always)
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int,
                      cos c: UnsafePointer<Float>, sin s: UnsafePointer<Float>) {
        let half = dimensions / 2
        // Pair i is (v[i·a], v[i·a + b]): a = 2, b = 1 for adjacent pairs; a = 1, b = d/2 for halves.
        let (a, b) = layout == .adjacentPairs ? (2, 1) : (1, half)
        for h in 0..<heads {
            let v = x + h * headDim
            for i in 0..<half {
                let x0 = v[a * i], x1 = v[a * i + b]
                v[a * i] = x0 * c[i] - x1 * s[i]
                v[a * i + b] = x0 * s[i] + x1 * c[i]
            }
        }
    }
}
