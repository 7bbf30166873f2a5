import Foundation
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

/// Streaming attention over an f16 KV cache without a float32 copy of the block: keys and values
/// are widened to float32 in registers (`vcvtph2ps` on x86-64) as they are multiplied. The arithmetic is the
/// float32 recurrence of `AttentionKernel.accumulate`, so results equal that path on the widened
/// values up to summation order.
extension AttentionKernel {
    /// Eight f16 values at `p + byteOffset`, widened to float32 (`vcvtph2ps` on x86-64 with F16C).
    @inline(__always)
    static func loadHalf8(_ p: UnsafeRawPointer, _ byteOffset: Int) -> SIMD8<Float> {
        #if SCOPE_AVX2
        return unsafeBitCast(_mm256_cvtph_ps(_mm_loadu_si128((p + byteOffset).assumingMemoryBound(to: __m128i.self))),
                             to: SIMD8<Float>.self)
        #else
        let h = p.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<UInt16>.self)
        var r = SIMD8<Float>()
        for i in 0..<8 { r[i] = Float(Float16(bitPattern: h[i])) }
        return r
        #endif
    }

    /// `s[j] = q · k_j` for `count` contiguous f16 key rows of `d` values (`d` a multiple of 8).
    @inline(__always)
    public static func scoresF16(query q: UnsafePointer<Float>, keys k: UnsafeRawPointer, count: Int, headDim d: Int,
                                 into s: UnsafeMutablePointer<Float>) {
        let rq = UnsafeRawPointer(q)
        let rs = 2 * d
        var j = 0
        while j + 8 <= count {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
            let kb = k + j * rs
            var c = 0
            while c < d {
                let qv = rq.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
                let o = 2 * c
                a0.addProduct(qv, loadHalf8(kb, o))
                a1.addProduct(qv, loadHalf8(kb, rs + o))
                a2.addProduct(qv, loadHalf8(kb, 2 * rs + o))
                a3.addProduct(qv, loadHalf8(kb, 3 * rs + o))
                a4.addProduct(qv, loadHalf8(kb, 4 * rs + o))
                a5.addProduct(qv, loadHalf8(kb, 5 * rs + o))
                a6.addProduct(qv, loadHalf8(kb, 6 * rs + o))
                a7.addProduct(qv, loadHalf8(kb, 7 * rs + o))
                c += 8
            }
            UnsafeMutableRawPointer(s + j).storeBytes(of: VectorMath.sums(a0, a1, a2, a3, a4, a5, a6, a7), as: SIMD8<Float>.self)
            j += 8
        }
        while j < count {
            var a = SIMD8<Float>()
            var c = 0
            while c < d {
                a.addProduct(rq.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self), loadHalf8(k, j * rs + 2 * c))
                c += 8
            }
            s[j] = a.sum()
            j += 1
        }
    }

    /// `o += Σ_j p[j] · v_j` over `count` contiguous f16 value rows of `d` values (`d` a multiple of 32).
    @inline(__always)
    public static func accumulateValuesF16(_ p: UnsafePointer<Float>, values v: UnsafeRawPointer, count: Int, headDim d: Int,
                                           into o: UnsafeMutablePointer<Float>) {
        let ro = UnsafeMutableRawPointer(o)
        var c = 0
        while c < d {
            let oc = 4 * c, vc = 2 * c
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
                    let r = 2 * j * d + vc
                    a0.addProduct(pj, loadHalf8(v, r))
                    a1.addProduct(pj, loadHalf8(v, r + 16))
                    a2.addProduct(pj, loadHalf8(v, r + 32))
                    a3.addProduct(pj, loadHalf8(v, r + 48))
                    a4.addProduct(pj, loadHalf8(v, r + 64))
                    a5.addProduct(pj, loadHalf8(v, r + 80))
                    a6.addProduct(pj, loadHalf8(v, r + 96))
                    a7.addProduct(pj, loadHalf8(v, r + 112))
                }
                ro.storeBytes(of: a4, toByteOffset: oc + 128, as: SIMD8<Float>.self)
                ro.storeBytes(of: a5, toByteOffset: oc + 160, as: SIMD8<Float>.self)
                ro.storeBytes(of: a6, toByteOffset: oc + 192, as: SIMD8<Float>.self)
                ro.storeBytes(of: a7, toByteOffset: oc + 224, as: SIMD8<Float>.self)
            } else {
                for j in 0..<count {
                    let pj = SIMD8<Float>(repeating: p[j])
                    let r = 2 * j * d + vc
                    a0.addProduct(pj, loadHalf8(v, r))
                    a1.addProduct(pj, loadHalf8(v, r + 16))
                    a2.addProduct(pj, loadHalf8(v, r + 32))
                    a3.addProduct(pj, loadHalf8(v, r + 48))
                }
            }
            ro.storeBytes(of: a0, toByteOffset: oc, as: SIMD8<Float>.self)
            ro.storeBytes(of: a1, toByteOffset: oc + 32, as: SIMD8<Float>.self)
            ro.storeBytes(of: a2, toByteOffset: oc + 64, as: SIMD8<Float>.self)
            ro.storeBytes(of: a3, toByteOffset: oc + 96, as: SIMD8<Float>.self)
            c += d - c >= 64 ? 64 : 32
        }
    }

    /// `maskedScores` for f16 keys (`d` a multiple of 8).
    @inline(__always)
    public static func maskedScoresF16(query q: UnsafePointer<Float>, position: Int32, keys k: UnsafeRawPointer,
                                       positions: UnsafePointer<Int32>, count: Int, headDim d: Int, scale: Float,
                                       into s: UnsafeMutablePointer<Float>) -> Float {
        scoresF16(query: q, keys: k, count: count, headDim: d, into: s)
        return maskAndScale(s, positions: positions, position: position, count: count, scale: scale)
    }

    /// `accumulate` for f16 keys and values (raw little-endian halves, `count` rows of `d`).
    /// Requires `d` a multiple of 32.
    @inline(__always)
    public static func accumulateF16(query q: UnsafePointer<Float>, position: Int32,
                                     keys k: UnsafeRawPointer, values v: UnsafeRawPointer,
                                     positions: UnsafePointer<Int32>, count: Int, headDim d: Int, scale: Float,
                                     maximum m: inout Float, sum l: inout Float, out o: UnsafeMutablePointer<Float>,
                                     scratch s: UnsafeMutablePointer<Float>) {
        scoresF16(query: q, keys: k, count: count, headDim: d, into: s)
        let blockMax = maskAndScale(s, positions: positions, position: position, count: count, scale: scale)
        if blockMax == -.infinity { return }
        rescale(maximum: &m, sum: &l, out: o, headDim: d, newMaximum: blockMax)
        l += VectorMath.expShifted(s, n: count, shift: m)
        accumulateValuesF16(s, values: v, count: count, headDim: d, into: o)
    }
}
