import Foundation

/// Element-wise building blocks of the transformer, named as in the papers.
public enum Ops {
    /// `out[i] = x[i] / sqrt(mean(x²) + eps) · weight[i]` over `n` values.
    @inline(__always)
    public static func rmsNorm(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                               n: Int, eps: Float) {
        let ss = RowDot.dotF32(x, x, n)
        let scale = 1 / (ss / Float(n) + eps).squareRoot()
        for i in 0..<n { out[i] = x[i] * scale * weight[i] }
    }

    /// SwiGLU: `gate[i] = silu(gate[i]) · up[i]`.
    @inline(__always)
    public static func swiglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, n: Int) {
        var i = 0
        let rg = UnsafeMutableRawPointer(gate), ru = UnsafeRawPointer(up)
        let one = SIMD8<Float>(repeating: 1)
        while i + 8 <= n {
            let g = rg.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let u = ru.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            rg.storeBytes(of: g / (one + VectorMath.exp(-g)) * u, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        for i in i..<n {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// `x[i] += y[i]`.
    @inline(__always)
    public static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, n: Int) {
        var i = 0
        let rx = UnsafeMutableRawPointer(x), ry = UnsafeRawPointer(y)
        while i + 8 <= n {
            let v = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) + ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            rx.storeBytes(of: v, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { x[i] += y[i]; i += 1 }
    }

    /// In-place softmax over `n` values; returns the log-sum-exp of the inputs.
    @inline(__always)
    @discardableResult
    public static func softmax(_ x: UnsafeMutablePointer<Float>, n: Int) -> Float {
        var m = -Float.infinity
        for i in 0..<n where x[i] > m { m = x[i] }
        var sum: Float = 0
        for i in 0..<n {
            let e = expf(x[i] - m)
            x[i] = e
            sum += e
        }
        let inv = 1 / sum
        for i in 0..<n { x[i] *= inv }
        return m + logf(sum)
    }

    /// `y += a·x` over `n` values.
    @inline(__always)
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n: Int) {
        var i = 0
        let av = SIMD8<Float>(repeating: a)
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        while i + 8 <= n {
            var v = ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            v.addProduct(av, rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
            ry.storeBytes(of: v, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { y[i] += a * x[i]; i += 1 }
    }
}
