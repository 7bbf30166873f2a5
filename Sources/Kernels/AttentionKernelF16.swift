import Foundation
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

/// How the attention kernels read 8 consecutive values of a stored key/value row as float32:
/// float32 rows as they are, f16 rows widened in registers (`vcvtph2ps` on x86-64), so an f16
/// cache needs no float32 copy of its blocks. The kernels below are written once for both.
protocol KVRowFormat {
    /// Bytes per stored value.
    static var valueBytes: Int { get }
    /// Values `i ..< i + 8` of the rows at `p`, where `byteOffset = i · valueBytes`.
    static func load8(_ p: UnsafeRawPointer, _ byteOffset: Int) -> SIMD8<Float>
}

enum F32Rows: KVRowFormat {
    static var valueBytes: Int { @inline(__always) get { 4 } }
    @inline(__always)
    static func load8(_ p: UnsafeRawPointer, _ byteOffset: Int) -> SIMD8<Float> {
        p.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Float>.self)
    }
}

enum F16Rows: KVRowFormat {
    static var valueBytes: Int { @inline(__always) get { 2 } }
    @inline(__always)
    static func load8(_ p: UnsafeRawPointer, _ byteOffset: Int) -> SIMD8<Float> {
        #if SCOPE_AVX2
        return _mm256_cvtph_ps(_mm_loadu_si128((p + byteOffset).assumingMemoryBound(to: __m128i.self)))
        #else
        let h = p.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<UInt16>.self)
        var r = SIMD8<Float>()
        for i in 0..<8 { r[i] = Float(Float16(bitPattern: h[i])) }
        return r
        #endif
    }
}

extension AttentionKernel {
    /// `s[j] = q · k_j` for `count` contiguous key rows of `d` values in format `R` (`d` a multiple of 8).
    @inline(__always)
    static func scores<R: KVRowFormat>(_: R.Type, query q: UnsafePointer<Float>, keys k: UnsafeRawPointer, count: Int,
                                       headDim d: Int, into s: UnsafeMutablePointer<Float>) {
        let rq = UnsafeRawPointer(q)
        let rs = R.valueBytes * d
        var j = 0
        while j + 8 <= count {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
            let kb = k + j * rs
            var c = 0
            while c < d {
                let qv = rq.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
                let o = R.valueBytes * c
                a0.addProduct(qv, R.load8(kb, o))
                a1.addProduct(qv, R.load8(kb, rs + o))
                a2.addProduct(qv, R.load8(kb, 2 * rs + o))
                a3.addProduct(qv, R.load8(kb, 3 * rs + o))
                a4.addProduct(qv, R.load8(kb, 4 * rs + o))
                a5.addProduct(qv, R.load8(kb, 5 * rs + o))
                a6.addProduct(qv, R.load8(kb, 6 * rs + o))
                a7.addProduct(qv, R.load8(kb, 7 * rs + o))
                c += 8
            }
            UnsafeMutableRawPointer(s + j).storeBytes(of: VectorMath.sums(a0, a1, a2, a3, a4, a5, a6, a7), as: SIMD8<Float>.self)
            j += 8
        }
        while j < count {
            var a = SIMD8<Float>()
            var c = 0
            while c < d {
                a.addProduct(rq.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self), R.load8(k, j * rs + R.valueBytes * c))
                c += 8
            }
            s[j] = a.sum()
            j += 1
        }
    }

    /// `o += Σ_j p[j] · v_j` over `count` contiguous value rows of `d` values in format `R` (`d` a
    /// multiple of 32): the output stays in registers, 64 (or 32) dimensions at a time.
    @inline(__always)
    static func accumulateValues<R: KVRowFormat>(_: R.Type, _ p: UnsafePointer<Float>, values v: UnsafeRawPointer, count: Int,
                                                 headDim d: Int, into o: UnsafeMutablePointer<Float>) {
        let ro = UnsafeMutableRawPointer(o)
        let rs = R.valueBytes * d
        var c = 0
        while c < d {
            let oc = 4 * c, vc = R.valueBytes * c, w = R.valueBytes * 8
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
                    let r = j * rs + vc
                    a0.addProduct(pj, R.load8(v, r))
                    a1.addProduct(pj, R.load8(v, r + w))
                    a2.addProduct(pj, R.load8(v, r + 2 * w))
                    a3.addProduct(pj, R.load8(v, r + 3 * w))
                    a4.addProduct(pj, R.load8(v, r + 4 * w))
                    a5.addProduct(pj, R.load8(v, r + 5 * w))
                    a6.addProduct(pj, R.load8(v, r + 6 * w))
                    a7.addProduct(pj, R.load8(v, r + 7 * w))
                }
                ro.storeBytes(of: a4, toByteOffset: oc + 128, as: SIMD8<Float>.self)
                ro.storeBytes(of: a5, toByteOffset: oc + 160, as: SIMD8<Float>.self)
                ro.storeBytes(of: a6, toByteOffset: oc + 192, as: SIMD8<Float>.self)
                ro.storeBytes(of: a7, toByteOffset: oc + 224, as: SIMD8<Float>.self)
            } else {
                for j in 0..<count {
                    let pj = SIMD8<Float>(repeating: p[j])
                    let r = j * rs + vc
                    a0.addProduct(pj, R.load8(v, r))
                    a1.addProduct(pj, R.load8(v, r + w))
                    a2.addProduct(pj, R.load8(v, r + 2 * w))
                    a3.addProduct(pj, R.load8(v, r + 3 * w))
                }
            }
            ro.storeBytes(of: a0, toByteOffset: oc, as: SIMD8<Float>.self)
            ro.storeBytes(of: a1, toByteOffset: oc + 32, as: SIMD8<Float>.self)
            ro.storeBytes(of: a2, toByteOffset: oc + 64, as: SIMD8<Float>.self)
            ro.storeBytes(of: a3, toByteOffset: oc + 96, as: SIMD8<Float>.self)
            c += d - c >= 64 ? 64 : 32
        }
    }

    /// `s[j] = q · k_j` over `count` f16 key rows (raw little-endian halves; `d` a multiple of 8).
    @inline(__always)
    public static func scoresF16(query q: UnsafePointer<Float>, keys k: UnsafeRawPointer, count: Int, headDim d: Int,
                                 into s: UnsafeMutablePointer<Float>) {
        scores(F16Rows.self, query: q, keys: k, count: count, headDim: d, into: s)
    }

    /// `o += Σ_j p[j] · v_j` over `count` f16 value rows (`d` a multiple of 32).
    @inline(__always)
    public static func accumulateValuesF16(_ p: UnsafePointer<Float>, values v: UnsafeRawPointer, count: Int, headDim d: Int,
                                           into o: UnsafeMutablePointer<Float>) {
        accumulateValues(F16Rows.self, p, values: v, count: count, headDim: d, into: o)
    }

    /// `maskedScores` for f16 keys (`d` a multiple of 8).
    @inline(__always)
    public static func maskedScoresF16(query q: UnsafePointer<Float>, position: Int32, keys k: UnsafeRawPointer,
                                       positions: UnsafePointer<Int32>, count: Int, headDim d: Int, scale: Float,
                                       into s: UnsafeMutablePointer<Float>) -> Float {
        scoresF16(query: q, keys: k, count: count, headDim: d, into: s)
        return maskAndScale(s, positions: positions, position: position, count: count, scale: scale)
    }

    /// `accumulate` for f16 keys and values (raw little-endian halves, `count` rows of `d`, a
    /// multiple of 32): the float32 recurrence on the widened values.
    @inline(__always)
    public static func accumulateF16(query q: UnsafePointer<Float>, position: Int32,
                                     keys k: UnsafeRawPointer, values v: UnsafeRawPointer,
                                     positions: UnsafePointer<Int32>, count: Int, headDim d: Int, scale: Float,
                                     maximum m: inout Float, sum l: inout Float, out o: UnsafeMutablePointer<Float>,
                                     scratch s: UnsafeMutablePointer<Float>) {
        let blockMax = maskedScoresF16(query: q, position: position, keys: k, positions: positions, count: count,
                                       headDim: d, scale: scale, into: s)
        if foldScores(s, count: count, blockMax: blockMax, maximum: &m, sum: &l, out: o, headDim: d) {
            accumulateValuesF16(s, values: v, count: count, headDim: d, into: o)
        }
    }
}
