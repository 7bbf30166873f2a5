import Foundation
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

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
        if d % 8 == 0 {
            scores(F32Rows.self, query: q, keys: UnsafeRawPointer(k), count: count, headDim: d, into: s)
        } else {
            for j in 0..<count { s[j] = RowDot.dotF32(q, k + j * d, d) }
        }
    }

    /// `o += Σ_j p[j] · v_j` over `count` contiguous value rows of `d` floats.
    @inline(__always)
    public static func accumulateValues(_ p: UnsafePointer<Float>, values v: UnsafePointer<Float>, count: Int, headDim d: Int,
                                        into o: UnsafeMutablePointer<Float>) {
        if d % 32 == 0 {
            accumulateValues(F32Rows.self, p, values: UnsafeRawPointer(v), count: count, headDim: d, into: o)
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
    /// With AVX2, eight keys per step (compare, blend): each value is the same single multiply as
    /// one at a time, and a maximum does not depend on the order it is taken in (`vmaxps` with the
    /// new value first keeps the running maximum when a value is NaN, as `Swift.max` does).
    @inline(__always)
    static func maskAndScale(_ s: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>, position: Int32,
                             count: Int, scale: Float) -> Float {
        var j = 0
        var m = -Float.infinity
        #if SCOPE_AVX2
        if count >= 8 {
            let rs = UnsafeMutableRawPointer(s), rp = UnsafeRawPointer(positions)
            let factor = _mm256_set1_ps(scale), limit = _mm256_set1_epi32(position), masked = _mm256_set1_ps(-.infinity)
            var m8 = masked
            while j + 8 <= count {
                let v = _mm256_mul_ps(rs.loadUnaligned(fromByteOffset: 4 * j, as: __m256.self), factor)
                let later = _mm256_cmpgt_epi32(rp.loadUnaligned(fromByteOffset: 4 * j, as: __m256i.self), limit)
                let r = _mm256_blendv_ps(v, masked, _mm256_castsi256_ps(later))
                rs.storeBytes(of: r, toByteOffset: 4 * j, as: __m256.self)
                m8 = _mm256_max_ps(r, m8)
                j += 8
            }
            m = VectorMath.maxLane(m8)
        }
        #endif
        while j < count {
            let v = positions[j] <= position ? s[j] * scale : -.infinity
            s[j] = v
            m = Swift.max(m, v)
            j += 1
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
        if foldScores(s, count: count, blockMax: blockMax, maximum: &m, sum: &l, out: o, headDim: d) {
            accumulateValues(s, values: v, count: count, headDim: d, into: o)
        }
    }

    /// For a block whose masked scores are `s` (largest `blockMax`): rescales the state to the new
    /// maximum and turns `s` into the weights `e^(s − m)`, added to `l`. False (state untouched)
    /// when every key of the block is masked; otherwise the caller adds `Σ s_j·v_j` to `o`.
    @inline(__always)
    static func foldScores(_ s: UnsafeMutablePointer<Float>, count: Int, blockMax: Float, maximum m: inout Float,
                           sum l: inout Float, out o: UnsafeMutablePointer<Float>, headDim d: Int) -> Bool {
        if blockMax == -.infinity { return false }
        rescale(maximum: &m, sum: &l, out: o, headDim: d, newMaximum: blockMax)
        l += VectorMath.expShifted(s, n: count, shift: m)
        return true
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
