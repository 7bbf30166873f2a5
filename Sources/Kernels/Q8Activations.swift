import CVector
import GGUF
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

/// Precision of the activations in decode matrix–vector products.
public enum ActivationPrecision: String, Sendable, CaseIterable {
    /// float32 activations: exact up to summation order (the default).
    case f32
    /// 8-bit activations per block of 32 (llama.cpp's Q8_0/Q8_1 scheme) with integer dot products
    /// for Q4_1 and Q8_0 weights: faster, not exact. Opt-in.
    case q8
}

/// A float vector quantized to 8 bits per block of 32: `x ≈ q·d` with `d = max|x|/127`,
/// `q = round(x/d)` (llama.cpp's `quantize_row_q8_0` rule), plus `s = d·Σq` per block (Q8_1) for
/// the min term of Q4_1.
public final class Q8Activations: @unchecked Sendable {
    public let count: Int
    public let qs: UnsafeMutablePointer<Int8>
    public let scales: UnsafeMutablePointer<Float>
    public let sums: UnsafeMutablePointer<Float>
    /// Rows quantized together (`count / rowCount` values each).
    public let rowCount: Int

    /// Quantizes `count` floats (a multiple of 32), `rows` rows of `count / rows` values (a multiple of 32).
    public init(_ x: UnsafePointer<Float>, count: Int, rows: Int = 1) {
        precondition(count % 32 == 0, "Q8 activations need a multiple of 32 values, got \(count)")
        precondition(rows >= 1 && count % (32 * rows) == 0, "Q8 activations: \(count) values do not split into \(rows) rows of whole blocks")
        self.count = count
        let nb = count / 32
        qs = .allocate(capacity: max(1, count))
        scales = .allocate(capacity: max(1, nb))
        sums = .allocate(capacity: max(1, nb))
        rowCount = rows
        #if SCOPE_AVX2
        for b in 0..<nb { Self.quantizeBlock(x + 32 * b, qs + 32 * b, &scales[b], &sums[b]) }
        #else
        for b in 0..<nb {
            var amax: Float = 0
            for j in 0..<32 { amax = max(amax, abs(x[32 * b + j])) }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            var s = 0
            for j in 0..<32 {
                let q = Int8((x[32 * b + j] * id).rounded())
                qs[32 * b + j] = q
                s += Int(q)
            }
            scales[b] = d
            sums[b] = d * Float(s)
        }
        #endif
    }

    deinit { qs.deallocate(); scales.deallocate(); sums.deallocate() }

    /// The dequantized value of element `i` (`q·d`).
    public func value(_ i: Int) -> Float { Float(qs[i]) * scales[i / 32] }

    #if SCOPE_AVX2
    /// One block of 32 with the scalar rule's exact results: the maximum of |x| (order-free), the
    /// same scalar `d` and `1/d`, `x·(1/d)` per lane, and rounding half away from zero done exactly
    /// as `t = trunc(v)`, `q = t + trunc(2·(v − t))` (`v − t` and the doubling are exact; the
    /// second term is ±1 exactly when |v − t| ≥ 0.5), without a libm call per value.
    @inline(__always)
    static func quantizeBlock(_ x: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Int8>, _ scale: inout Float, _ sum: inout Float) {
        let signMask = _mm256_set1_ps(-0.0)
        let v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8), v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24)
        let m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(signMask, v0), _mm256_andnot_ps(signMask, v1)),
                              _mm256_max_ps(_mm256_andnot_ps(signMask, v2), _mm256_andnot_ps(signMask, v3)))
        let amax = VectorMath.maxLane(m)
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        let idv = _mm256_set1_ps(id), two = _mm256_set1_ps(2)
        @inline(__always) func round(_ v: __m256) -> __m256i {
            let s = _mm256_mul_ps(v, idv)
            let t = _mm256_cvttps_epi32(s)
            let frac = _mm256_sub_ps(s, _mm256_cvtepi32_ps(t))
            return _mm256_add_epi32(t, _mm256_cvttps_epi32(_mm256_mul_ps(frac, two)))
        }
        let i0 = round(v0), i1 = round(v1), i2 = round(v2), i3 = round(v3)
        let total = unsafeBitCast(_mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3)), to: SIMD8<Int32>.self)
        // Pack to bytes (values are within ±127, no saturation), then undo the per-128-bit-lane interleave.
        let bytes = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3))
        let ordered = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
        UnsafeMutableRawPointer(q).storeBytes(of: unsafeBitCast(ordered, to: SIMD32<Int8>.self), as: SIMD32<Int8>.self)
        scale = d
        sum = d * Float(total.wrappedSum())
    }
    #endif
}

/// The arrays of a `Q8Activations`, without the object: what kernels inside parallel loops take, so
/// that threads do not write the object's reference count. Valid while the object lives.
public struct Q8View: @unchecked Sendable {
    public let qs: UnsafePointer<Int8>
    public let scales: UnsafePointer<Float>
    public let sums: UnsafePointer<Float>

    public init(_ a: Q8Activations) {
        qs = UnsafePointer(a.qs); scales = UnsafePointer(a.scales); sums = UnsafePointer(a.sums)
    }
}

extension RowDot {
    /// Whether `dotQ8` has an integer kernel for `type`.
    public static func hasQ8Kernel(_ type: GGMLType) -> Bool { type == .q4_1 || type == .q8_0 }

    /// `Σ row[i]·a[i]` with 8-bit activations (`type` must satisfy `hasQ8Kernel`).
    @inline(__always)
    public static func dotQ8(_ type: GGMLType, _ row: UnsafeRawPointer, _ a: Q8Activations) -> Float {
        dotQ8(type, row, Q8View(a), count: a.count)
    }

    /// `dotQ8` over the arrays of a one-row `Q8Activations` of `cols` values.
    @inline(__always)
    public static func dotQ8(_ type: GGMLType, _ row: UnsafeRawPointer, _ a: Q8View, count cols: Int) -> Float {
        type == .q4_1 ? dotQ4_1Q8(row, a, cols / 32) : dotQ8_0Q8(row, a, cols / 32)
    }


    /// Q4_1 × Q8 for one row of the file's layout: per block the exact integer dot `Σ q_w·q_a`
    /// (unsigned nibbles × signed bytes), then `acc ← fma(dot, d_w·d_a, acc)` and
    /// `minAcc ← fma(m_w, s_a, minAcc)`; the result is `acc + minAcc`. These are the roundings the
    /// packed eight-row kernel makes in each lane (`Q4_1Packed.product`), in every build, so a row's
    /// value is the same alone, in a batch, packed or not, AVX2 or generic.
    @inline(__always)
    static func dotQ4_1Q8(_ row: UnsafeRawPointer, _ a: Q8View, _ nb: Int) -> Float {
        dotQ4_1Q8(row, UnsafeRawPointer(a.qs), a.scales, a.sums, nb)
    }

    /// `dotQ4_1Q8` with the activation arrays of one row: bytes `aq`, `scales`, `sums` (`nb` blocks).
    @inline(__always)
    static func dotQ4_1Q8(_ row: UnsafeRawPointer, _ aq: UnsafeRawPointer, _ scales: UnsafePointer<Float>,
                          _ sums: UnsafePointer<Float>, _ nb: Int) -> Float {
        var acc: Float = 0, minAcc: Float = 0
        #if SCOPE_AVX2
        let mask = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1)
        #endif
        for b in 0..<nb {
            let blk = row + b * 20
            #if SCOPE_AVX2
            let raw = load16(blk + 4)
            let w = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), mask)
            let q = unsafeBitCast(aq.loadUnaligned(fromByteOffset: 32 * b, as: SIMD32<Int8>.self), to: __m256i.self)
            let dot = unsafeBitCast(_mm256_madd_epi16(_mm256_maddubs_epi16(w, q), ones), to: SIMD8<Int32>.self).wrappedSum()
            let (d, m) = halfPairAt(blk, 0)
            #else
            let w = scope_opaque_u8x32(scope_nibbles(blk.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)))
            let dot = scope_dot_u8_i8(w, aq.loadUnaligned(fromByteOffset: 32 * b, as: SIMD32<Int8>.self)).wrappedSum()
            let d = halfAt(blk, 0), m = halfAt(blk, 2)
            #endif
            acc = acc.addingProduct(Float(dot), d * scales[b])
            minAcc = minAcc.addingProduct(m, sums[b])
        }
        return acc + minAcc
    }

    /// Q8_0 × Q8 for one row of the file's layout: per block the exact integer dot `Σ q_w·q_a`
    /// (signed × signed via the sign trick; activations are never −128), then
    /// `acc ← fma(dot, d_w·d_a, acc)`: the roundings the packed eight-row kernel makes in each lane
    /// (`Q8_0Packed.product`), in every build.
    @inline(__always)
    static func dotQ8_0Q8(_ row: UnsafeRawPointer, _ a: Q8View, _ nb: Int) -> Float {
        dotQ8_0Q8(row, UnsafeRawPointer(a.qs), a.scales, nb)
    }

    /// `dotQ8_0Q8` with the activation arrays of one row: bytes `aq`, `scales` (`nb` blocks).
    @inline(__always)
    static func dotQ8_0Q8(_ row: UnsafeRawPointer, _ aq: UnsafeRawPointer, _ scales: UnsafePointer<Float>, _ nb: Int) -> Float {
        var acc: Float = 0
        #if SCOPE_AVX2
        let ones = _mm256_set1_epi16(1)
        #endif
        for b in 0..<nb {
            let blk = row + b * 34
            #if SCOPE_AVX2
            let w = unsafeBitCast(blk.loadUnaligned(fromByteOffset: 2, as: SIMD32<Int8>.self), to: __m256i.self)
            let q = unsafeBitCast(aq.loadUnaligned(fromByteOffset: 32 * b, as: SIMD32<Int8>.self), to: __m256i.self)
            let p = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(q, w)), ones)
            let dot = unsafeBitCast(p, to: SIMD8<Int32>.self).wrappedSum()
            #else
            let dot = scope_dot_i8_i8(blk.loadUnaligned(fromByteOffset: 2, as: SIMD32<Int8>.self),
                                      aq.loadUnaligned(fromByteOffset: 32 * b, as: SIMD32<Int8>.self)).wrappedSum()
            #endif
            acc = acc.addingProduct(Float(dot), halfAt(blk, 0) * scales[b])
        }
        return acc
    }
}
