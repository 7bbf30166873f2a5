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

    /// Quantizes `count` floats (a multiple of 32).
    public init(_ x: UnsafePointer<Float>, count: Int) {
        precondition(count % 32 == 0, "Q8 activations need a multiple of 32 values, got \(count)")
        self.count = count
        let nb = count / 32
        qs = .allocate(capacity: max(1, count))
        scales = .allocate(capacity: max(1, nb))
        sums = .allocate(capacity: max(1, nb))
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
    }

    deinit { qs.deallocate(); scales.deallocate(); sums.deallocate() }

    /// The dequantized value of element `i` (`q·d`).
    public func value(_ i: Int) -> Float { Float(qs[i]) * scales[i / 32] }
}

extension RowDot {
    /// Whether `dotQ8` has an integer kernel for `type`.
    public static func hasQ8Kernel(_ type: GGMLType) -> Bool { type == .q4_1 || type == .q8_0 }

    /// `Σ row[i]·a[i]` with 8-bit activations (`type` must satisfy `hasQ8Kernel`).
    @inline(__always)
    public static func dotQ8(_ type: GGMLType, _ row: UnsafeRawPointer, _ a: Q8Activations) -> Float {
        type == .q4_1 ? dotQ4_1Q8(row, a) : dotQ8_0Q8(row, a)
    }

    /// Q4_1 × Q8: per block `d_w·d_a·Σ q_w·q_a + m_w·s_a` (unsigned nibbles × signed bytes).
    @inline(__always)
    static func dotQ4_1Q8(_ row: UnsafeRawPointer, _ a: Q8Activations) -> Float {
        let nb = a.count / 32
        var minTerm: Float = 0
        #if SCOPE_AVX2
        var acc = _mm256_setzero_ps()
        let mask = _mm_set1_epi8(0x0F)
        let ones = _mm256_set1_epi16(1)
        let aq = UnsafeRawPointer(a.qs)
        for b in 0..<nb {
            let blk = row + b * 20
            let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
            let m = Float(Float16(bitPattern: blk.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            let raw = _mm_loadu_si128((blk + 4).assumingMemoryBound(to: __m128i.self))
            let lo = _mm_and_si128(raw, mask), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask)
            let w = unsafeBitCast((lo, hi), to: __m256i.self)
            let q = unsafeBitCast(aq.loadUnaligned(fromByteOffset: 32 * b, as: SIMD32<Int8>.self), to: __m256i.self)
            let p = _mm256_madd_epi16(_mm256_maddubs_epi16(w, q), ones)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d * a.scales[b]), _mm256_cvtepi32_ps(p), acc)
            minTerm += m * a.sums[b]
        }
        return acc.sum() + minTerm
        #else
        var s: Float = 0
        for b in 0..<nb {
            let blk = row + b * 20
            let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
            let m = Float(Float16(bitPattern: blk.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            let qs = (blk + 4).assumingMemoryBound(to: UInt8.self)
            var t = 0
            for j in 0..<16 {
                t += Int(qs[j] & 0x0F) * Int(a.qs[32 * b + j]) + Int(qs[j] >> 4) * Int(a.qs[32 * b + j + 16])
            }
            s += d * a.scales[b] * Float(t)
            minTerm += m * a.sums[b]
        }
        return s + minTerm
        #endif
    }

    /// Q8_0 × Q8: per block `d_w·d_a·Σ q_w·q_a` (signed × signed via the sign trick).
    @inline(__always)
    static func dotQ8_0Q8(_ row: UnsafeRawPointer, _ a: Q8Activations) -> Float {
        let nb = a.count / 32
        #if SCOPE_AVX2
        var acc = _mm256_setzero_ps()
        let ones = _mm256_set1_epi16(1)
        let aq = UnsafeRawPointer(a.qs)
        for b in 0..<nb {
            let blk = row + b * 34
            let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
            let w = unsafeBitCast(blk.loadUnaligned(fromByteOffset: 2, as: SIMD32<Int8>.self), to: __m256i.self)
            let q = unsafeBitCast(aq.loadUnaligned(fromByteOffset: 32 * b, as: SIMD32<Int8>.self), to: __m256i.self)
            let p = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(q, w)), ones)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d * a.scales[b]), _mm256_cvtepi32_ps(p), acc)
        }
        return acc.sum()
        #else
        var s: Float = 0
        for b in 0..<nb {
            let blk = row + b * 34
            let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
            let qs = (blk + 2).assumingMemoryBound(to: Int8.self)
            var t = 0
            for j in 0..<32 { t += Int(qs[j]) * Int(a.qs[32 * b + j]) }
            s += d * a.scales[b] * Float(t)
        }
        return s
        #endif
    }
}
