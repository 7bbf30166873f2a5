import Foundation
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

/// Vectorised transcendental and conversion helpers shared by the kernels.
public enum VectorMath {
    /// `e^x` for 8 lanes (Cephes polynomial; relative error about 2 ulp). Lanes below about −87.7
    /// (including −∞) give exactly 0; inputs above 88.4 are clamped.
    @inline(__always)
    public static func exp(_ v: SIMD8<Float>) -> SIMD8<Float> {
        #if SCOPE_AVX2
        var x: __m256 = v
        x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-88.3762626647949)), _mm256_set1_ps(88.3762626647949))
        let n = _mm256_cvtps_epi32(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341)))   // round to nearest
        let fn = _mm256_cvtepi32_ps(n)
        x = _mm256_fnmadd_ps(fn, _mm256_set1_ps(0.693359375), x)
        x = _mm256_fnmadd_ps(fn, _mm256_set1_ps(-2.12194440e-4), x)
        var y = _mm256_set1_ps(1.9875691500e-4)
        y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3))
        y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3))
        y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2))
        y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1))
        y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1))
        y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1)))
        let pow2 = _mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23)
        let keep = _mm256_cmpgt_epi32(n, _mm256_set1_epi32(-127))
        let r = _mm256_and_ps(_mm256_mul_ps(y, _mm256_castsi256_ps(pow2)), _mm256_castsi256_ps(keep))
        return r
        #else
        var r = SIMD8<Float>()
        for i in 0..<8 { r[i] = expf(v[i]) }
        return r
        #endif
    }

    /// `x[i] = e^(x[i] − shift)` in place over `n` values; returns their sum.
    @inline(__always)
    public static func expShifted(_ x: UnsafeMutablePointer<Float>, n: Int, shift: Float) -> Float {
        var i = 0
        var acc = SIMD8<Float>()
        let s = SIMD8<Float>(repeating: shift)
        let raw = UnsafeMutableRawPointer(x)
        while i + 8 <= n {
            let e = exp(raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) - s)
            raw.storeBytes(of: e, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            acc += e
            i += 8
        }
        var sum = acc.sum()
        while i < n {
            let e = x[i] == -.infinity ? 0 : expf(x[i] - shift)
            x[i] = e
            sum += e
            i += 1
        }
        return sum
    }

    /// Converts `count` IEEE half values (raw little-endian bytes) to float32.
    @inline(__always)
    public static func halfToFloat(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        #if SCOPE_AVX2
        while i + 8 <= count {
            let h = _mm_loadu_si128((src + 2 * i).assumingMemoryBound(to: __m128i.self))
            _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h))
            i += 8
        }
        #endif
        while i < count {
            dst[i] = Float(Float16(bitPattern: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            i += 1
        }
    }

    /// Horizontal sums of eight vectors: lane i of the result is `v_i.sum()`.
    @inline(__always)
    static func sums(_ a0: SIMD8<Float>, _ a1: SIMD8<Float>, _ a2: SIMD8<Float>, _ a3: SIMD8<Float>,
                     _ a4: SIMD8<Float>, _ a5: SIMD8<Float>, _ a6: SIMD8<Float>, _ a7: SIMD8<Float>) -> SIMD8<Float> {
        #if SCOPE_AVX2
        let h01 = _mm256_hadd_ps(a0, a1), h23 = _mm256_hadd_ps(a2, a3)
        let h45 = _mm256_hadd_ps(a4, a5), h67 = _mm256_hadd_ps(a6, a7)
        let h0123 = _mm256_hadd_ps(h01, h23), h4567 = _mm256_hadd_ps(h45, h67)
        // h0123 = [a0 lo, a1 lo, a2 lo, a3 lo | a0 hi, a1 hi, a2 hi, a3 hi]; same for 4...7.
        let x = h0123, y = h4567
        return SIMD8<Float>(lowHalf: x.lowHalf + x.highHalf, highHalf: y.lowHalf + y.highHalf)
        #else
        return SIMD8<Float>(a0.sum(), a1.sum(), a2.sum(), a3.sum(), a4.sum(), a5.sum(), a6.sum(), a7.sum())
        #endif
    }
}
