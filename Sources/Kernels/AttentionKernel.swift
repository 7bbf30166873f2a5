import Foundation

/// Streaming attention over blocks of keys (the flash-attention recurrence, on the CPU).
///
/// A query row keeps a running maximum `m`, a running sum `l` and an unnormalised output `o`
/// (`headDim` floats). Each key block is folded in with `accumulate`: scores → mask by position →
/// rescale the state when the maximum grows → `o += Σ p_j·v_j`. No `n × n` buffer is formed; the
/// result is `o / l`. float32 throughout: equal to a two-pass softmax up to summation order.
public enum AttentionKernel {
    /// Keys per block (a 64-key block of 64-dim float32 keys and values is 32 KiB).
    public static let blockSize = 64

    /// `s[j] = q · k_j` for `count` contiguous key rows of `d` floats.
    @inline(__always)
    public static func scores(query q: UnsafePointer<Float>, keys k: UnsafePointer<Float>, count: Int, headDim d: Int,
                              into s: UnsafeMutablePointer<Float>) {
        var j = 0
        if d % 8 == 0 {
            let rq = UnsafeRawPointer(q)
            while j + 8 <= count {
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
                let kb = UnsafeRawPointer(k + j * d)
                let rs = 4 * d
                var c = 0
                while c < d {
                    let o = 4 * c
                    let qv = rq.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                    a0.addProduct(qv, kb.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
                    a1.addProduct(qv, kb.loadUnaligned(fromByteOffset: rs + o, as: SIMD8<Float>.self))
                    a2.addProduct(qv, kb.loadUnaligned(fromByteOffset: 2 * rs + o, as: SIMD8<Float>.self))
                    a3.addProduct(qv, kb.loadUnaligned(fromByteOffset: 3 * rs + o, as: SIMD8<Float>.self))
                    a4.addProduct(qv, kb.loadUnaligned(fromByteOffset: 4 * rs + o, as: SIMD8<Float>.self))
                    a5.addProduct(qv, kb.loadUnaligned(fromByteOffset: 5 * rs + o, as: SIMD8<Float>.self))
                    a6.addProduct(qv, kb.loadUnaligned(fromByteOffset: 6 * rs + o, as: SIMD8<Float>.self))
                    a7.addProduct(qv, kb.loadUnaligned(fromByteOffset: 7 * rs + o, as: SIMD8<Float>.self))
                    c += 8
                }
                UnsafeMutableRawPointer(s + j).storeBytes(of: VectorMath.sums(a0, a1, a2, a3, a4, a5, a6, a7), as: SIMD8<Float>.self)
                j += 8
            }
        }
        while j < count {
            s[j] = RowDot.dotF32(q, k + j * d, d)
            j += 1
        }
    }

    /// `o += Σ_j p[j] · v_j` over `count` contiguous value rows of `d` floats.
    @inline(__always)
    public static func accumulateValues(_ p: UnsafePointer<Float>, values v: UnsafePointer<Float>, count: Int, headDim d: Int,
                                        into o: UnsafeMutablePointer<Float>) {
        let ro = UnsafeMutableRawPointer(o), rv = UnsafeRawPointer(v)
        if d % 32 == 0 {
            var c = 0
            while c < d {
                let oc = 4 * c
                var a0 = ro.loadUnaligned(fromByteOffset: oc, as: SIMD8<Float>.self)
                var a1 = ro.loadUnaligned(fromByteOffset: oc + 32, as: SIMD8<Float>.self)
                var a2 = ro.loadUnaligned(fromByteOffset: oc + 64, as: SIMD8<Float>.self)
                var a3 = ro.loadUnaligned(fromByteOffset: oc + 96, as: SIMD8<Float>.self)
                if d - c >= 64 {
                    var a4 = ro.loadUnaligned(fromByteOffset: oc + 128, as: SIMD8<Float>.self)
                    var a5 = ro.loadUnaligned(fromByteOffset: oc + 160, as: SIMD8<Float>.self)
                    var a6 = ro.loadUnaligned(fromByteOffset: oc + 192, as: SIMD8<Float>.self)
                    var a7 = ro.loadUnaligned(fromByteOffset: oc + 224, as: SIMD8<Float>.self)
                    for j in 0..<count {
                        let pj = SIMD8<Float>(repeating: p[j])
                        let r = 4 * j * d + oc
                        a0.addProduct(pj, rv.loadUnaligned(fromByteOffset: r, as: SIMD8<Float>.self))
                        a1.addProduct(pj, rv.loadUnaligned(fromByteOffset: r + 32, as: SIMD8<Float>.self))
                        a2.addProduct(pj, rv.loadUnaligned(fromByteOffset: r + 64, as: SIMD8<Float>.self))
                        a3.addProduct(pj, rv.loadUnaligned(fromByteOffset: r + 96, as: SIMD8<Float>.self))
                        a4.addProduct(pj, rv.loadUnaligned(fromByteOffset: r + 128, as: SIMD8<Float>.self))
                        a5.addProduct(pj, rv.loadUnaligned(fromByteOffset: r + 160, as: SIMD8<Float>.self))
                        a6.addProduct(pj, rv.loadUnaligned(fromByteOffset: r + 192, as: SIMD8<Float>.self))
                        a7.addProduct(pj, rv.loadUnaligned(fromByteOffset: r + 224, as: SIMD8<Float>.self))
                    }
                    ro.storeBytes(of: a4, toByteOffset: oc + 128, as: SIMD8<Float>.self)
                    ro.storeBytes(of: a5, toByteOffset: oc + 160, as: SIMD8<Float>.self)
                    ro.storeBytes(of: a6, toByteOffset: oc + 192, as: SIMD8<Float>.self)
                    ro.storeBytes(of: a7, toByteOffset: oc + 224, as: SIMD8<Float>.self)
                } else {
                    for j in 0..<count {
                        let pj = SIMD8<Float>(repeating: p[j])
                        let r = 4 * j * d + oc
                        a0.addProduct(pj, rv.loadUnaligned(fromByteOffset: r, as: SIMD8<Float>.self))
                        a1.addProduct(pj, rv.loadUnaligned(fromByteOffset: r + 32, as: SIMD8<Float>.self))
                        a2.addProduct(pj, rv.loadUnaligned(fromByteOffset: r + 64, as: SIMD8<Float>.self))
                        a3.addProduct(pj, rv.loadUnaligned(fromByteOffset: r + 96, as: SIMD8<Float>.self))
                    }
                }
                ro.storeBytes(of: a0, toByteOffset: oc, as: SIMD8<Float>.self)
                ro.storeBytes(of: a1, toByteOffset: oc + 32, as: SIMD8<Float>.self)
                ro.storeBytes(of: a2, toByteOffset: oc + 64, as: SIMD8<Float>.self)
                ro.storeBytes(of: a3, toByteOffset: oc + 96, as: SIMD8<Float>.self)
                c += d - c >= 64 ? 64 : 32
            }
        } else {
            for j in 0..<count where p[j] != 0 { Ops.axpy(p[j], v + j * d, o, n: d) }
        }
    }

    /// Scaled, position-masked scores of one query over `count` keys: `s[j] = scale·q·k_j`, or −∞
    /// when `positions[j] > position`. Returns the largest score (−∞ when all are masked).
    @inline(__always)
    public static func maskedScores(query q: UnsafePointer<Float>, position: Int32, keys k: UnsafePointer<Float>,
                                    positions: UnsafePointer<Int32>, count: Int, headDim d: Int, scale: Float,
                                    into s: UnsafeMutablePointer<Float>) -> Float {
        scores(query: q, keys: k, count: count, headDim: d, into: s)
        return maskAndScale(s, positions: positions, position: position, count: count, scale: scale)
    }

    /// `s[j] = scale·s[j]`, or −∞ where `positions[j] > position`; returns the largest result.
    @inline(__always)
    static func maskAndScale(_ s: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>, position: Int32,
                             count: Int, scale: Float) -> Float {
        var m = -Float.infinity
        for j in 0..<count {
            let v = positions[j] <= position ? s[j] * scale : -.infinity
            s[j] = v
            m = Swift.max(m, v)
        }
        return m
    }

    /// Raises the running maximum to `newMaximum` (when larger), rescaling `l` and `o` to match.
    @inline(__always)
    static func rescale(maximum m: inout Float, sum l: inout Float, out o: UnsafeMutablePointer<Float>, headDim d: Int,
                        newMaximum: Float) {
        guard newMaximum > m else { return }
        if m != -.infinity {
            let f = expf(m - newMaximum)
            l *= f
            let fv = SIMD8<Float>(repeating: f)
            var i = 0
            let ro = UnsafeMutableRawPointer(o)
            while i + 8 <= d {
                ro.storeBytes(of: ro.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) * fv, toByteOffset: 4 * i, as: SIMD8<Float>.self)
                i += 8
            }
            while i < d { o[i] *= f; i += 1 }
        }
        m = newMaximum
    }

    /// Folds one block of `count` keys/values into the running state (`m`, `l`, `o`) of one query
    /// row at `position`. `s` is scratch for `count` floats.
    @inline(__always)
    public static func accumulate(query q: UnsafePointer<Float>, position: Int32,
                                  keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>,
                                  positions: UnsafePointer<Int32>, count: Int, headDim d: Int, scale: Float,
                                  maximum m: inout Float, sum l: inout Float, out o: UnsafeMutablePointer<Float>,
                                  scratch s: UnsafeMutablePointer<Float>) {
        let blockMax = maskedScores(query: q, position: position, keys: k, positions: positions, count: count,
                                    headDim: d, scale: scale, into: s)
        if blockMax == -.infinity { return }
        rescale(maximum: &m, sum: &l, out: o, headDim: d, newMaximum: blockMax)
        l += VectorMath.expShifted(s, n: count, shift: m)
        accumulateValues(s, values: v, count: count, headDim: d, into: o)
    }

    /// Merges partial states computed over disjoint key ranges: `parts` states of (`m`, `l`, `o[d]`)
    /// into the normalised output `out` (`d` floats). Parts with `l == 0` saw no unmasked key.
    public static func merge(maxima: UnsafePointer<Float>, sums: UnsafePointer<Float>, outs: UnsafePointer<Float>,
                             parts: Int, headDim d: Int, into out: UnsafeMutablePointer<Float>) {
        var m = -Float.infinity
        for i in 0..<parts where sums[i] > 0 { m = Swift.max(m, maxima[i]) }
        out.update(repeating: 0, count: d)
        var l: Float = 0
        for i in 0..<parts where sums[i] > 0 {
            let f = expf(maxima[i] - m)
            l += sums[i] * f
            Ops.axpy(f, outs + i * d, out, n: d)
        }
        let inv = l > 0 ? 1 / l : 0
        for i in 0..<d { out[i] *= inv }
    }
}
