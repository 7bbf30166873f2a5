import Foundation

/// Rotary position embedding in GGUF's Llama layout: adjacent pairs `(x[2i], x[2i+1])` rotate by
/// `pos · base^(-2i/d)` (divided by `rope_freqs[i]` for Llama 3.1). Computed in float32 like the
/// Hugging Face reference (float32 inverse frequencies, float32 angle).
public struct RoPE: Sendable {
    public let dimensions: Int
    let inverseFrequencies: [Float]

    public init(dimensions: Int, base: Float, frequencyFactors: [Float]? = nil) {
        self.dimensions = dimensions
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
        for h in 0..<heads {
            let v = x + h * headDim
            for i in 0..<(dimensions / 2) {
                let x0 = v[2 * i], x1 = v[2 * i + 1]
                v[2 * i] = x0 * c[i] - x1 * s[i]
                v[2 * i + 1] = x0 * s[i] + x1 * c[i]
            }
        }
    }
}
