import GGUF
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

/// Dot products of one quantized weight row with several activation rows (batched decode): the
/// weight block is decoded once and multiplied with every activation row. For each activation row
/// the arithmetic is that of the single-row kernel (`dot`, `dotQ8`) in the same order, so every
/// result is bit-identical to the single-row one.
extension RowDot {
    /// Activation rows one `dotRows`/`dotQ8Rows` call takes at most.
    public static let maxRows = 8

    /// Whether `dotRows` and `dotQ8Rows` have a shared-decode kernel for `type` (AVX2 builds; other
    /// builds multiply row by row with `dot`/`dotQ8`).
    public static func hasRowsKernel(_ type: GGMLType) -> Bool {
        #if SCOPE_AVX2
        return type == .q4_1 || type == .q8_0
        #else
        return false
        #endif
    }
}

#if SCOPE_AVX2
extension RowDot {
    /// `out[t·stride] = dot(type, row, x + t·cols, blockSums: sums + t·cols/32)` for t in 0..<n
    /// (n ≤ `maxRows`, `type` satisfying `hasRowsKernel`).
    @inline(__always)
    public static func dotRows(_ type: GGMLType, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, sums: UnsafePointer<Float>,
                               count cols: Int, rows n: Int, into out: UnsafeMutablePointer<Float>, stride: Int) {
        let nb = cols / 32
        var t = 0
        // Groups of four rows keep their accumulators in registers; the rest go through the general loop.
        while t < n {
            let xt = x + t * cols, st = sums + t * nb, o = out + t * stride
            if n - t >= 4 {
                if type == .q4_1 { dotQ4_1Rows4(row, xt, st, cols, o, stride) } else { dotQ8_0Rows4(row, xt, cols, o, stride) }
                t += 4
            } else {
                if type == .q4_1 { dotQ4_1Rows(row, xt, st, cols, n - t, o, stride) } else { dotQ8_0Rows(row, xt, cols, n - t, o, stride) }
                t = n
            }
        }
    }

    /// One row's share of a float32 block product, in the order of `dotQ4_1`/`dotQ8_0`: the block's
    /// four weight vectors times the row's 32 activations, into the row's two accumulators.
    @inline(__always)
    static func blockProduct(_ w0: __m256, _ w1: __m256, _ w2: __m256, _ w3: __m256, _ d: __m256, _ xb: UnsafePointer<Float>,
                             _ acc0: inout __m256, _ acc1: inout __m256) {
        var s = _mm256_mul_ps(w0, _mm256_loadu_ps(xb))
        s = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xb + 8), s)
        var u = _mm256_mul_ps(w2, _mm256_loadu_ps(xb + 16))
        u = _mm256_fmadd_ps(w3, _mm256_loadu_ps(xb + 24), u)
        acc0 = _mm256_fmadd_ps(d, s, acc0)
        acc1 = _mm256_fmadd_ps(d, u, acc1)
    }

    /// `dotQ4_1Rows` for exactly four rows, accumulators in registers.
    @inline(__always)
    static func dotQ4_1Rows4(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>, _ cols: Int,
                             _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        let mask = _mm_set1_epi8(0x0F)
        var a0 = _mm256_setzero_ps(), b0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps()
        var a2 = _mm256_setzero_ps(), b2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps()
        var m0: Float = 0, m1: Float = 0, m2: Float = 0, m3: Float = 0
        for b in 0..<nb {
            let blk = row + b * 20
            let dScalar = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
            let m = Float(Float16(bitPattern: blk.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            let raw = _mm_loadu_si128((blk + 4).assumingMemoryBound(to: __m128i.self))
            let lo = _mm_and_si128(raw, mask)
            let hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask)
            let w0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo))
            let w1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(lo, lo)))
            let w2 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi))
            let w3 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(hi, hi)))
            let d = _mm256_set1_ps(dScalar)
            m0 += m * sums[b]; m1 += m * sums[nb + b]; m2 += m * sums[2 * nb + b]; m3 += m * sums[3 * nb + b]
            blockProduct(w0, w1, w2, w3, d, x + b * 32, &a0, &b0)
            blockProduct(w0, w1, w2, w3, d, x + cols + b * 32, &a1, &b1)
            blockProduct(w0, w1, w2, w3, d, x + 2 * cols + b * 32, &a2, &b2)
            blockProduct(w0, w1, w2, w3, d, x + 3 * cols + b * 32, &a3, &b3)
        }
        out[0] = _mm256_add_ps(a0, b0).sum() + m0; out[stride] = _mm256_add_ps(a1, b1).sum() + m1
        out[2 * stride] = _mm256_add_ps(a2, b2).sum() + m2; out[3 * stride] = _mm256_add_ps(a3, b3).sum() + m3
    }

    /// `dotQ8_0Rows` for exactly four rows, accumulators in registers.
    @inline(__always)
    static func dotQ8_0Rows4(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ cols: Int,
                             _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        var a0 = _mm256_setzero_ps(), b0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps()
        var a2 = _mm256_setzero_ps(), b2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps()
        for b in 0..<nb {
            let blk = row + b * 34
            let d = _mm256_set1_ps(Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self))))
            let q0 = _mm_loadu_si128((blk + 2).assumingMemoryBound(to: __m128i.self))
            let q1 = _mm_loadu_si128((blk + 18).assumingMemoryBound(to: __m128i.self))
            let w0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q0))
            let w1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(q0, q0)))
            let w2 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q1))
            let w3 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(q1, q1)))
            blockProduct(w0, w1, w2, w3, d, x + b * 32, &a0, &b0)
            blockProduct(w0, w1, w2, w3, d, x + cols + b * 32, &a1, &b1)
            blockProduct(w0, w1, w2, w3, d, x + 2 * cols + b * 32, &a2, &b2)
            blockProduct(w0, w1, w2, w3, d, x + 3 * cols + b * 32, &a3, &b3)
        }
        out[0] = _mm256_add_ps(a0, b0).sum(); out[stride] = _mm256_add_ps(a1, b1).sum()
        out[2 * stride] = _mm256_add_ps(a2, b2).sum(); out[3 * stride] = _mm256_add_ps(a3, b3).sum()
    }

    /// `out[t·stride] = dotQ8(type, row, activations of row t)` for t in 0..<n: `a` holds the 8-bit
    /// activations of several rows of `cols` values back to back (quantized together, which gives
    /// each row's own blocks since `cols` is a multiple of 32); this call reads rows
    /// `first..<first + n`.
    @inline(__always)
    public static func dotQ8Rows(_ type: GGMLType, _ row: UnsafeRawPointer, _ a: Q8Activations, first: Int, count cols: Int,
                                 rows n: Int, into out: UnsafeMutablePointer<Float>, stride: Int) {
        let nb = cols / 32
        var t = 0
        // Groups of four rows keep their accumulators in registers; the rest go through the general loop.
        while t < n {
            let qs = UnsafeRawPointer(a.qs + (first + t) * cols), scales = UnsafePointer(a.scales + (first + t) * nb)
            let sums = UnsafePointer(a.sums + (first + t) * nb)
            let o = out + t * stride
            if n - t >= 4 {
                if type == .q4_1 { dotQ4_1Q8Rows4(row, qs, scales, sums, cols, o, stride) } else { dotQ8_0Q8Rows4(row, qs, scales, cols, o, stride) }
                t += 4
            } else {
                if type == .q4_1 { dotQ4_1Q8Rows(row, qs, scales, sums, cols, n - t, o, stride) } else { dotQ8_0Q8Rows(row, qs, scales, cols, n - t, o, stride) }
                t = n
            }
        }
    }

    /// `dotQ4_1Q8Rows` for exactly four rows, accumulators in registers.
    @inline(__always)
    static func dotQ4_1Q8Rows4(_ row: UnsafeRawPointer, _ aq: UnsafeRawPointer, _ scales: UnsafePointer<Float>,
                               _ sums: UnsafePointer<Float>, _ cols: Int, _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        let mask = _mm_set1_epi8(0x0F)
        let ones = _mm256_set1_epi16(1)
        var a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps()
        var m0: Float = 0, m1: Float = 0, m2: Float = 0, m3: Float = 0
        @inline(__always) func q(_ t: Int, _ b: Int) -> __m256i {
            unsafeBitCast(aq.loadUnaligned(fromByteOffset: t * cols + 32 * b, as: SIMD32<Int8>.self), to: __m256i.self)
        }
        for b in 0..<nb {
            let blk = row + b * 20
            let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
            let m = Float(Float16(bitPattern: blk.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            let raw = _mm_loadu_si128((blk + 4).assumingMemoryBound(to: __m128i.self))
            let lo = _mm_and_si128(raw, mask), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask)
            let w = unsafeBitCast((lo, hi), to: __m256i.self)
            let p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(w, q(0, b)), ones)
            let p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(w, q(1, b)), ones)
            let p2 = _mm256_madd_epi16(_mm256_maddubs_epi16(w, q(2, b)), ones)
            let p3 = _mm256_madd_epi16(_mm256_maddubs_epi16(w, q(3, b)), ones)
            a0 = _mm256_fmadd_ps(_mm256_set1_ps(d * scales[b]), _mm256_cvtepi32_ps(p0), a0)
            a1 = _mm256_fmadd_ps(_mm256_set1_ps(d * scales[nb + b]), _mm256_cvtepi32_ps(p1), a1)
            a2 = _mm256_fmadd_ps(_mm256_set1_ps(d * scales[2 * nb + b]), _mm256_cvtepi32_ps(p2), a2)
            a3 = _mm256_fmadd_ps(_mm256_set1_ps(d * scales[3 * nb + b]), _mm256_cvtepi32_ps(p3), a3)
            m0 += m * sums[b]; m1 += m * sums[nb + b]; m2 += m * sums[2 * nb + b]; m3 += m * sums[3 * nb + b]
        }
        out[0] = a0.sum() + m0; out[stride] = a1.sum() + m1; out[2 * stride] = a2.sum() + m2; out[3 * stride] = a3.sum() + m3
    }

    /// `dotQ8_0Q8Rows` for exactly four rows, accumulators in registers.
    @inline(__always)
    static func dotQ8_0Q8Rows4(_ row: UnsafeRawPointer, _ aq: UnsafeRawPointer, _ scales: UnsafePointer<Float>, _ cols: Int,
                               _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        let ones = _mm256_set1_epi16(1)
        var a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps()
        @inline(__always) func q(_ t: Int, _ b: Int) -> __m256i {
            unsafeBitCast(aq.loadUnaligned(fromByteOffset: t * cols + 32 * b, as: SIMD32<Int8>.self), to: __m256i.self)
        }
        for b in 0..<nb {
            let blk = row + b * 34
            let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
            let w = unsafeBitCast(blk.loadUnaligned(fromByteOffset: 2, as: SIMD32<Int8>.self), to: __m256i.self)
            let absW = _mm256_sign_epi8(w, w)
            let p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(absW, _mm256_sign_epi8(q(0, b), w)), ones)
            let p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(absW, _mm256_sign_epi8(q(1, b), w)), ones)
            let p2 = _mm256_madd_epi16(_mm256_maddubs_epi16(absW, _mm256_sign_epi8(q(2, b), w)), ones)
            let p3 = _mm256_madd_epi16(_mm256_maddubs_epi16(absW, _mm256_sign_epi8(q(3, b), w)), ones)
            a0 = _mm256_fmadd_ps(_mm256_set1_ps(d * scales[b]), _mm256_cvtepi32_ps(p0), a0)
            a1 = _mm256_fmadd_ps(_mm256_set1_ps(d * scales[nb + b]), _mm256_cvtepi32_ps(p1), a1)
            a2 = _mm256_fmadd_ps(_mm256_set1_ps(d * scales[2 * nb + b]), _mm256_cvtepi32_ps(p2), a2)
            a3 = _mm256_fmadd_ps(_mm256_set1_ps(d * scales[3 * nb + b]), _mm256_cvtepi32_ps(p3), a3)
        }
        out[0] = a0.sum(); out[stride] = a1.sum(); out[2 * stride] = a2.sum(); out[3 * stride] = a3.sum()
    }

    /// Runs `body` with zeroed accumulators: `2·maxRows` vectors and `maxRows` scalars.
    @inline(__always)
    static func withAccumulators(_ body: (UnsafeMutablePointer<SIMD8<Float>>, UnsafeMutablePointer<Float>) -> Void) {
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 2 * maxRows) { v in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: maxRows) { s in
                v.initialize(repeating: SIMD8<Float>())
                s.initialize(repeating: 0)
                body(v.baseAddress!, s.baseAddress!)
            }
        }
    }

    @inline(__always)
    static func dotQ4_1Rows(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>, _ cols: Int, _ n: Int,
                            _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        withAccumulators { acc, minTerm in
            let mask = _mm_set1_epi8(0x0F)
            for b in 0..<nb {
                let blk = row + b * 20
                let dScalar = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
                let m = Float(Float16(bitPattern: blk.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
                let raw = _mm_loadu_si128((blk + 4).assumingMemoryBound(to: __m128i.self))
                let lo = _mm_and_si128(raw, mask)
                let hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask)
                let w0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo))
                let w1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(lo, lo)))
                let w2 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi))
                let w3 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(hi, hi)))
                let d = _mm256_set1_ps(dScalar)
                for t in 0..<n {
                    minTerm[t] += m * sums[t * nb + b]
                    blockProduct(w0, w1, w2, w3, d, x + t * cols + b * 32, &acc[2 * t], &acc[2 * t + 1])
                }
            }
            for t in 0..<n { out[t * stride] = _mm256_add_ps(acc[2 * t], acc[2 * t + 1]).sum() + minTerm[t] }
        }
    }

    @inline(__always)
    static func dotQ8_0Rows(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ cols: Int, _ n: Int,
                            _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        withAccumulators { acc, _ in
            for b in 0..<nb {
                let blk = row + b * 34
                let d = _mm256_set1_ps(Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self))))
                let q0 = _mm_loadu_si128((blk + 2).assumingMemoryBound(to: __m128i.self))
                let q1 = _mm_loadu_si128((blk + 18).assumingMemoryBound(to: __m128i.self))
                let w0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q0))
                let w1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(q0, q0)))
                let w2 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q1))
                let w3 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(q1, q1)))
                for t in 0..<n { blockProduct(w0, w1, w2, w3, d, x + t * cols + b * 32, &acc[2 * t], &acc[2 * t + 1]) }
            }
            for t in 0..<n { out[t * stride] = _mm256_add_ps(acc[2 * t], acc[2 * t + 1]).sum() }
        }
    }

    @inline(__always)
    static func dotQ4_1Q8Rows(_ row: UnsafeRawPointer, _ aq: UnsafeRawPointer, _ scales: UnsafePointer<Float>,
                              _ sums: UnsafePointer<Float>, _ cols: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        withAccumulators { acc, minTerm in
            let mask = _mm_set1_epi8(0x0F)
            let ones = _mm256_set1_epi16(1)
            for b in 0..<nb {
                let blk = row + b * 20
                let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
                let m = Float(Float16(bitPattern: blk.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
                let raw = _mm_loadu_si128((blk + 4).assumingMemoryBound(to: __m128i.self))
                let lo = _mm_and_si128(raw, mask), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask)
                let w = unsafeBitCast((lo, hi), to: __m256i.self)
                for t in 0..<n {
                    let q = unsafeBitCast(aq.loadUnaligned(fromByteOffset: t * cols + 32 * b, as: SIMD32<Int8>.self), to: __m256i.self)
                    let p = _mm256_madd_epi16(_mm256_maddubs_epi16(w, q), ones)
                    acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d * scales[t * nb + b]), _mm256_cvtepi32_ps(p), acc[t])
                    minTerm[t] += m * sums[t * nb + b]
                }
            }
            for t in 0..<n { out[t * stride] = acc[t].sum() + minTerm[t] }
        }
    }

    @inline(__always)
    static func dotQ8_0Q8Rows(_ row: UnsafeRawPointer, _ aq: UnsafeRawPointer, _ scales: UnsafePointer<Float>, _ cols: Int,
                              _ n: Int, _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        withAccumulators { acc, _ in
            let ones = _mm256_set1_epi16(1)
            for b in 0..<nb {
                let blk = row + b * 34
                let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
                let w = unsafeBitCast(blk.loadUnaligned(fromByteOffset: 2, as: SIMD32<Int8>.self), to: __m256i.self)
                let absW = _mm256_sign_epi8(w, w)
                for t in 0..<n {
                    let q = unsafeBitCast(aq.loadUnaligned(fromByteOffset: t * cols + 32 * b, as: SIMD32<Int8>.self), to: __m256i.self)
                    let p = _mm256_madd_epi16(_mm256_maddubs_epi16(absW, _mm256_sign_epi8(q, w)), ones)
                    acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d * scales[t * nb + b]), _mm256_cvtepi32_ps(p), acc[t])
                }
            }
            for t in 0..<n { out[t * stride] = acc[t].sum() }
        }
    }
}
#endif
