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
        // Groups of four, then two rows keep their accumulators in registers; a last row runs the single-row kernel.
        while t < n {
            let xt = x + t * cols, st = sums + t * nb, o = out + t * stride
            if n - t >= 4 {
                if type == .q4_1 { dotQ4_1Rows4(row, xt, st, cols, o, stride) } else { dotQ8_0Rows4(row, xt, cols, o, stride) }
                t += 4
            } else if n - t >= 2 {
                if type == .q4_1 { dotQ4_1Rows2(row, xt, st, cols, o, stride) } else { dotQ8_0Rows2(row, xt, cols, o, stride) }
                t += 2
            } else {
                o[0] = type == .q4_1 ? dotQ4_1(row, xt, st, cols) : dotQ8_0(row, xt, cols)
                t += 1
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

    /// `dotRows` of Q4_1 weights for exactly four rows, accumulators in registers.
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

    /// `dotRows` of Q8_0 weights for exactly four rows, accumulators in registers.
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

    /// `dotRows` of Q4_1 weights for exactly two rows, accumulators in registers.
    @inline(__always)
    static func dotQ4_1Rows2(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>, _ cols: Int,
                             _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        let mask = _mm_set1_epi8(0x0F)
        var a0 = _mm256_setzero_ps(), b0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps()
        var m0: Float = 0, m1: Float = 0
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
            m0 += m * sums[b]; m1 += m * sums[nb + b]
            blockProduct(w0, w1, w2, w3, d, x + b * 32, &a0, &b0)
            blockProduct(w0, w1, w2, w3, d, x + cols + b * 32, &a1, &b1)
        }
        out[0] = _mm256_add_ps(a0, b0).sum() + m0; out[stride] = _mm256_add_ps(a1, b1).sum() + m1
    }

    /// `dotRows` of Q8_0 weights for exactly two rows, accumulators in registers.
    @inline(__always)
    static func dotQ8_0Rows2(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ cols: Int,
                             _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        var a0 = _mm256_setzero_ps(), b0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps()
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
        }
        out[0] = _mm256_add_ps(a0, b0).sum(); out[stride] = _mm256_add_ps(a1, b1).sum()
    }

    /// `out[t·stride] = dotQ8(type, row, activations of row t)` for t in 0..<n: `a` holds the 8-bit
    /// activations of several rows of `cols` values back to back (quantized together, which gives
    /// each row's own blocks since `cols` is a multiple of 32); this call reads rows
    /// `first..<first + n`. Q4_1 takes eight rows at a time when `a.sumsByBlock` exists.
    @inline(__always)
    public static func dotQ8Rows(_ type: GGMLType, _ row: UnsafeRawPointer, _ a: Q8View, first: Int, count cols: Int,
                                 rows n: Int, into out: UnsafeMutablePointer<Float>, stride: Int) {
        let nb = cols / 32
        var t = 0
        // Groups of eight (Q4_1), four, then two rows keep their accumulators in registers; a last
        // row runs the single-row kernel.
        while t < n {
            let qs = UnsafeRawPointer(a.qs + (first + t) * cols), scales = UnsafePointer(a.scales + (first + t) * nb)
            let sums = UnsafePointer(a.sums + (first + t) * nb)
            let o = out + t * stride
            if n - t >= 8, type == .q4_1, let byBlock = a.sumsByBlock {
                dotQ4_1Q8Rows8(row, qs, scales, byBlock + first + t, a.rowCount, cols, o, stride)
                t += 8
            } else if n - t >= 4 {
                if type == .q4_1 { dotQ4_1Q8Rows4(row, qs, scales, sums, cols, o, stride) } else { dotQ8_0Q8Rows4(row, qs, scales, cols, o, stride) }
                t += 4
            } else if n - t >= 2 {
                if type == .q4_1 { dotQ4_1Q8Rows2(row, qs, scales, sums, cols, o, stride) } else { dotQ8_0Q8Rows2(row, qs, scales, cols, o, stride) }
                t += 2
            } else {
                o[0] = type == .q4_1 ? dotQ4_1Q8(row, qs, scales, sums, nb) : dotQ8_0Q8(row, qs, scales, nb)
                t += 1
            }
        }
    }

    /// `dotQ8Rows` of Q4_1 weights for exactly four rows, accumulators in registers.
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

    /// `dotQ8Rows` of Q4_1 weights for exactly eight rows: eight vector accumulators, and the eight
    /// rows' min terms in the lanes of one vector (`sumsByBlock`: block b's sums of the eight rows at
    /// `b·blockStride`; each lane rounds `m·s` and the addition as the scalar kernels do).
    @inline(__always)
    static func dotQ4_1Q8Rows8(_ row: UnsafeRawPointer, _ aq: UnsafeRawPointer, _ scales: UnsafePointer<Float>,
                               _ sumsByBlock: UnsafePointer<Float>, _ blockStride: Int, _ cols: Int,
                               _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        let mask = _mm_set1_epi8(0x0F)
        let ones = _mm256_set1_epi16(1)
        var a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps()
        var a4 = _mm256_setzero_ps(), a5 = _mm256_setzero_ps(), a6 = _mm256_setzero_ps(), a7 = _mm256_setzero_ps()
        var minTerms = _mm256_setzero_ps()
        for b in 0..<nb {
            let blk = row + b * 20
            let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
            let m = Float(Float16(bitPattern: blk.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            let raw = _mm_loadu_si128((blk + 4).assumingMemoryBound(to: __m128i.self))
            let lo = _mm_and_si128(raw, mask), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask)
            let w = unsafeBitCast((lo, hi), to: __m256i.self)
            @inline(__always) func step(_ t: Int, _ acc: inout __m256) {
                let q = unsafeBitCast(aq.loadUnaligned(fromByteOffset: t * cols + 32 * b, as: SIMD32<Int8>.self), to: __m256i.self)
                let p = _mm256_madd_epi16(_mm256_maddubs_epi16(w, q), ones)
                acc = _mm256_fmadd_ps(_mm256_set1_ps(d * scales[t * nb + b]), _mm256_cvtepi32_ps(p), acc)
            }
            step(0, &a0); step(1, &a1); step(2, &a2); step(3, &a3)
            step(4, &a4); step(5, &a5); step(6, &a6); step(7, &a7)
            minTerms = _mm256_add_ps(minTerms, _mm256_mul_ps(_mm256_set1_ps(m), _mm256_loadu_ps(sumsByBlock + b * blockStride)))
        }
        out[0] = a0.sum() + minTerms[0]; out[stride] = a1.sum() + minTerms[1]
        out[2 * stride] = a2.sum() + minTerms[2]; out[3 * stride] = a3.sum() + minTerms[3]
        out[4 * stride] = a4.sum() + minTerms[4]; out[5 * stride] = a5.sum() + minTerms[5]
        out[6 * stride] = a6.sum() + minTerms[6]; out[7 * stride] = a7.sum() + minTerms[7]
    }

    /// `dotQ8Rows` of Q8_0 weights for exactly four rows, accumulators in registers.
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

    /// `dotQ8Rows` of Q4_1 weights for exactly two rows, accumulators in registers.
    @inline(__always)
    static func dotQ4_1Q8Rows2(_ row: UnsafeRawPointer, _ aq: UnsafeRawPointer, _ scales: UnsafePointer<Float>,
                               _ sums: UnsafePointer<Float>, _ cols: Int, _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        let mask = _mm_set1_epi8(0x0F)
        let ones = _mm256_set1_epi16(1)
        var a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps()
        var m0: Float = 0, m1: Float = 0
        for b in 0..<nb {
            let blk = row + b * 20
            let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
            let m = Float(Float16(bitPattern: blk.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            let raw = _mm_loadu_si128((blk + 4).assumingMemoryBound(to: __m128i.self))
            let lo = _mm_and_si128(raw, mask), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask)
            let w = unsafeBitCast((lo, hi), to: __m256i.self)
            let q0 = unsafeBitCast(aq.loadUnaligned(fromByteOffset: 32 * b, as: SIMD32<Int8>.self), to: __m256i.self)
            let q1 = unsafeBitCast(aq.loadUnaligned(fromByteOffset: cols + 32 * b, as: SIMD32<Int8>.self), to: __m256i.self)
            let p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(w, q0), ones)
            let p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(w, q1), ones)
            a0 = _mm256_fmadd_ps(_mm256_set1_ps(d * scales[b]), _mm256_cvtepi32_ps(p0), a0)
            a1 = _mm256_fmadd_ps(_mm256_set1_ps(d * scales[nb + b]), _mm256_cvtepi32_ps(p1), a1)
            m0 += m * sums[b]; m1 += m * sums[nb + b]
        }
        out[0] = a0.sum() + m0; out[stride] = a1.sum() + m1
    }

    /// `dotQ8Rows` of Q8_0 weights for exactly two rows, accumulators in registers.
    @inline(__always)
    static func dotQ8_0Q8Rows2(_ row: UnsafeRawPointer, _ aq: UnsafeRawPointer, _ scales: UnsafePointer<Float>, _ cols: Int,
                               _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = cols / 32
        let ones = _mm256_set1_epi16(1)
        var a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps()
        for b in 0..<nb {
            let blk = row + b * 34
            let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
            let w = unsafeBitCast(blk.loadUnaligned(fromByteOffset: 2, as: SIMD32<Int8>.self), to: __m256i.self)
            let absW = _mm256_sign_epi8(w, w)
            let q0 = unsafeBitCast(aq.loadUnaligned(fromByteOffset: 32 * b, as: SIMD32<Int8>.self), to: __m256i.self)
            let q1 = unsafeBitCast(aq.loadUnaligned(fromByteOffset: cols + 32 * b, as: SIMD32<Int8>.self), to: __m256i.self)
            let p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(absW, _mm256_sign_epi8(q0, w)), ones)
            let p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(absW, _mm256_sign_epi8(q1, w)), ones)
            a0 = _mm256_fmadd_ps(_mm256_set1_ps(d * scales[b]), _mm256_cvtepi32_ps(p0), a0)
            a1 = _mm256_fmadd_ps(_mm256_set1_ps(d * scales[nb + b]), _mm256_cvtepi32_ps(p1), a1)
        }
        out[0] = a0.sum(); out[stride] = a1.sum()
    }
}
#endif
