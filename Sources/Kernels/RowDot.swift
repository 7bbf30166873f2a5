import GGUF
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

/// Dot products of one quantized weight row with float32 activations, and fast row dequantizers.
///
/// Exact mode: weights are expanded to float32 inside registers and multiplied with float32
/// activations, so results match a float32 reference up to summation order.
public enum RowDot {
    /// Weight types the engine can multiply: every type `GGUF.Dequantize` handles except the
    /// activation-only Q8_1 and Q8_K (all of them have a fused kernel, see `hasFusedKernel`).
    public static func isSupported(_ type: GGMLType) -> Bool {
        switch type {
        case .q8_1, .q8_K: return false
        default: return type.canDequantize
        }
    }

    /// `Σ row[i]·x[i]` over `count` elements. `blockSums[b]` = Σ of x over block b of 32 (Q4_1/Q5_1 only).
    /// `scratch` (`count` floats) is needed only for types without a fused kernel (`hasFusedKernel`).
    @inline(__always)
    public static func dot(_ type: GGMLType, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>,
                           blockSums: UnsafePointer<Float>?, count: Int,
                           scratch: UnsafeMutablePointer<Float>?) -> Float {
        switch type {
        case .f32: return dotF32(row.assumingMemoryBound(to: Float.self), x, count)
        case .f16: return dotF16(row, x, count)
        case .q8_0: return dotQ8_0(row, x, count)
        case .q4_1: return dotQ4_1(row, x, blockSums!, count)
        case .bf16: return dotBF16(row, x, count)
        case .q4_0, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return dotDecoded(type, row, x, count)
        default:
            dequantize(type, row, into: scratch!, count: count)
            return dotF32(scratch!, x, count)
        }
    }

    /// Whether `dot` multiplies `type` without dequantizing into scratch first.
    public static func hasFusedKernel(_ type: GGMLType) -> Bool {
        switch type {
        case .f32, .f16, .bf16, .q8_0, .q4_1: return true
        default: return hasLaneDecoder(type)
        }
    }

    /// Dequantizes one row (fast paths for F32, F16, BF16, the legacy quants and the K-quants; the
    /// scalar reference otherwise).
    public static func dequantize(_ type: GGMLType, _ row: UnsafeRawPointer,
                                  into dst: UnsafeMutablePointer<Float>, count: Int) {
        switch type {
        case .f32:
            dst.update(from: row.assumingMemoryBound(to: Float.self), count: count)
        case .f16:
            for i in 0..<count { dst[i] = Float(Float16(bitPattern: row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .q8_0:
            for b in 0..<(count / 32) {
                let blk = row + b * 34
                let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
                let qs = (blk + 2).assumingMemoryBound(to: Int8.self)
                for j in 0..<32 { dst[b * 32 + j] = Float(qs[j]) * d }
            }
        case .q4_1:
            for b in 0..<(count / 32) {
                let blk = row + b * 20
                let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
                let m = Float(Float16(bitPattern: blk.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
                let qs = (blk + 4).assumingMemoryBound(to: UInt8.self)
                let y = dst + b * 32
                for j in 0..<16 {
                    y[j] = Float(qs[j] & 0x0F) * d + m
                    y[j + 16] = Float(qs[j] >> 4) * d + m
                }
            }
        case .bf16:
            dequantizeBF16(row, into: dst, count)
        case .q4_0, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K:
            dequantizeDecoded(type, row, into: dst, count)
        default:
            // Types were checked when the matrix was loaded; the reference dequantizer cannot fail here.
            try! Dequantize.row(type, from: row, into: dst, count: count)
        }
    }

    /// Per-block sums of `x` (blocks of 32), used by the Q4_1 kernel's min term.
    public static func blockSums(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
        for b in 0..<(count / 32) {
            var s: Float = 0
            for j in 0..<32 { s += x[b * 32 + j] }
            out[b] = s
        }
    }

    // MARK: - Kernels

    @inline(__always)
    public static func dotF32(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var i = 0
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 32 <= n {
            s0.addProduct(ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self), rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
            s1.addProduct(ra.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self), rb.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self))
            s2.addProduct(ra.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD8<Float>.self), rb.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD8<Float>.self))
            s3.addProduct(ra.loadUnaligned(fromByteOffset: 4 * i + 96, as: SIMD8<Float>.self), rb.loadUnaligned(fromByteOffset: 4 * i + 96, as: SIMD8<Float>.self))
            i += 32
        }
        while i + 8 <= n {
            s0.addProduct(ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self), rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
            i += 8
        }
        var s = ((s0 + s1) + (s2 + s3)).sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    @inline(__always)
    static func dotF16(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var i = 0
        var s: Float = 0
        #if SCOPE_AVX2
        var acc = _mm256_setzero_ps()
        while i + 8 <= n {
            let h = _mm_loadu_si128((row + 2 * i).assumingMemoryBound(to: __m128i.self))
            acc = _mm256_fmadd_ps(_mm256_cvtph_ps(h), _mm256_loadu_ps(x + i), acc)
            i += 8
        }
        s = acc.sum()
        #endif
        while i < n {
            s += Float(Float16(bitPattern: row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) * x[i]
            i += 1
        }
        return s
    }

    /// Q8_0: 34-byte blocks `d:f16, qs:int8[32]`; value = qs·d.
    @inline(__always)
    static func dotQ8_0(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ n: Int) -> Float {
        let nb = n / 32
        #if SCOPE_AVX2
        var acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps()
        for b in 0..<nb {
            let blk = row + b * 34
            let d = _mm256_set1_ps(Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self))))
            let q = (blk + 2)
            let xb = x + b * 32
            let q0 = _mm_loadu_si128(q.assumingMemoryBound(to: __m128i.self))
            let q1 = _mm_loadu_si128((q + 16).assumingMemoryBound(to: __m128i.self))
            var t = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q0)), _mm256_loadu_ps(xb))
            t = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(q0, q0))), _mm256_loadu_ps(xb + 8), t)
            var u = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q1)), _mm256_loadu_ps(xb + 16))
            u = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(q1, q1))), _mm256_loadu_ps(xb + 24), u)
            acc0 = _mm256_fmadd_ps(d, t, acc0)
            acc1 = _mm256_fmadd_ps(d, u, acc1)
        }
        return _mm256_add_ps(acc0, acc1).sum()
        #else
        var s: Float = 0
        for b in 0..<nb {
            let blk = row + b * 34
            let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
            let qs = (blk + 2).assumingMemoryBound(to: Int8.self)
            var t: Float = 0
            for j in 0..<32 { t += Float(qs[j]) * x[b * 32 + j] }
            s += d * t
        }
        return s
        #endif
    }

    /// Q4_1: 20-byte blocks `d:f16, m:f16, qs[16]`; element j = lo(qs[j])·d + m, j+16 = hi(qs[j])·d + m.
    /// Σ w·x = d·Σ q·x + m·Σ x, with Σ x per block precomputed.
    @inline(__always)
    static func dotQ4_1(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ sums: UnsafePointer<Float>, _ n: Int) -> Float {
        let nb = n / 32
        var minTerm: Float = 0
        #if SCOPE_AVX2
        var acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps()
        let mask = _mm_set1_epi8(0x0F)
        for b in 0..<nb {
            let blk = row + b * 20
            let dScalar = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
            let m = Float(Float16(bitPattern: blk.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            minTerm += m * sums[b]
            let raw = _mm_loadu_si128((blk + 4).assumingMemoryBound(to: __m128i.self))
            let lo = _mm_and_si128(raw, mask)
            let hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask)
            let xb = x + b * 32
            var t = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo)), _mm256_loadu_ps(xb))
            t = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(lo, lo))), _mm256_loadu_ps(xb + 8), t)
            var u = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi)), _mm256_loadu_ps(xb + 16))
            u = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(hi, hi))), _mm256_loadu_ps(xb + 24), u)
            let d = _mm256_set1_ps(dScalar)
            acc0 = _mm256_fmadd_ps(d, t, acc0)
            acc1 = _mm256_fmadd_ps(d, u, acc1)
        }
        return _mm256_add_ps(acc0, acc1).sum() + minTerm
        #else
        var s: Float = 0
        for b in 0..<nb {
            let blk = row + b * 20
            let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
            let m = Float(Float16(bitPattern: blk.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            let qs = (blk + 4).assumingMemoryBound(to: UInt8.self)
            var t: Float = 0
            for j in 0..<16 {
                t += Float(qs[j] & 0x0F) * x[b * 32 + j] + Float(qs[j] >> 4) * x[b * 32 + j + 16]
            }
            s += d * t
            minTerm += m * sums[b]
        }
        return s + minTerm
        #endif
    }
}
