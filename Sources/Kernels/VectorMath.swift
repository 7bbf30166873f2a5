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
        var x = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-88.3762626647949)), _mm256_set1_ps(88.3762626647949))
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
        return _mm256_and_ps(_mm256_mul_ps(y, _mm256_castsi256_ps(pow2)), _mm256_castsi256_ps(keep))
        #else
        // The same polynomial with Swift SIMD operations (vminps/fmin, FMA on x86-64-v3 and ARM64).
        let limit = SIMD8<Float>(repeating: 88.3762626647949)
        var x = v.replacing(with: limit, where: v .> limit)
        x.replace(with: -limit, where: x .< -limit)
        // n = round-to-nearest-even(x·log2 e): adding 1.5·2^23 leaves n in the low mantissa bits.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = x * 1.44269504088896341 + magic
        let fn = shifted - magic
        let n = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        x.addProduct(fn, SIMD8(repeating: -0.693359375))
        x.addProduct(fn, SIMD8(repeating: 2.12194440e-4))
        var y = SIMD8<Float>(repeating: 1.9875691500e-4)
        y = SIMD8(repeating: 1.3981999507e-3).addingProduct(y, x)
        y = SIMD8(repeating: 8.3334519073e-3).addingProduct(y, x)
        y = SIMD8(repeating: 4.1665795894e-2).addingProduct(y, x)
        y = SIMD8(repeating: 1.6666665459e-1).addingProduct(y, x)
        y = SIMD8(repeating: 5.0000001201e-1).addingProduct(y, x)
        y = (x + 1).addingProduct(y, x * x)
        let r = y * unsafeBitCast((n &+ 127) &<< 23, to: SIMD8<Float>.self)
        // Zero where n < −126, with integer lane operations (a mask comparison of SIMD8<Int32>
        // compiles to a per-lane loop): (n + 126) >> 31 is all ones exactly there.
        let keep = ~((n &+ 126) &>> 31)
        return unsafeBitCast(unsafeBitCast(r, to: SIMD8<Int32>.self) & keep, to: SIMD8<Float>.self)
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
        let out = UnsafeMutableRawPointer(dst)
        while i + 8 <= count {
            out.storeBytes(of: halfFloats(src, 2 * i), toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            dst[i] = Float(Float16(bitPattern: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            i += 1
        }
    }

    #if SCOPE_AVX2
    /// The largest of the eight lanes of `v` (`SIMD8.max()` is a call into the standard library's
    /// generic code, which profiles showed at about 1% of a batched step). A NaN lane may or may
    /// not win, as with `vmaxps`; callers reduce values that are not NaN.
    @inline(__always)
    static func maxLane(_ v: __m256) -> Float {
        let m4 = _mm_max_ps(v.lowHalf, v.highHalf)
        let m2 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4))
        return _mm_cvtss_f32(_mm_max_ss(m2, _mm_movehdup_ps(m2)))
    }
    #endif

    /// Horizontal sums of eight vectors: lane i of the result is `v_i.sum()`.
    @inline(__always)
    static func sums(_ a0: SIMD8<Float>, _ a1: SIMD8<Float>, _ a2: SIMD8<Float>, _ a3: SIMD8<Float>,
                     _ a4: SIMD8<Float>, _ a5: SIMD8<Float>, _ a6: SIMD8<Float>, _ a7: SIMD8<Float>) -> SIMD8<Float> {
        #if SCOPE_AVX2
        let h01 = _mm256_hadd_ps(a0, a1), h23 = _mm256_hadd_ps(a2, a3)
        let h45 = _mm256_hadd_ps(a4, a5), h67 = _mm256_hadd_ps(a6, a7)
        // x = [a0 lo, a1 lo, a2 lo, a3 lo | a0 hi, a1 hi, a2 hi, a3 hi]; y the same for 4...7.
        let x = _mm256_hadd_ps(h01, h23), y = _mm256_hadd_ps(h45, h67)
        return SIMD8<Float>(lowHalf: x.lowHalf + x.highHalf, highHalf: y.lowHalf + y.highHalf)
        #else
        // Sums of adjacent lanes, three times: ((v0+v1)+(v2+v3)) + ((v4+v5)+(v6+v7)) per vector, the
        // association of the AVX2 version, so that both builds give bit-identical scores.
        @inline(__always) func pairs(_ u: SIMD8<Float>, _ v: SIMD8<Float>) -> SIMD8<Float> {
            SIMD8(lowHalf: u.evenHalf, highHalf: v.evenHalf) + SIMD8(lowHalf: u.oddHalf, highHalf: v.oddHalf)
        }
        return pairs(pairs(pairs(a0, a1), pairs(a2, a3)), pairs(pairs(a4, a5), pairs(a6, a7)))
        #endif
    }
}

extension VectorMath {
    /// Index of the largest of `x[0 ..< n]`, the lowest among equal maxima: the rule of the scalar
    /// loop `for i where x[i] > best { best = x[i] }` from `best = −∞`, so NaN never wins and, when
    /// no value exceeds −∞, the answer is 0. Two passes: the maximum (eight lanes, four chains),
    /// then the first index holding it.
    public static func argmax(_ x: UnsafePointer<Float>, count n: Int) -> Int {
        var m = -Float.infinity
        var i = 0
        #if SCOPE_AVX2
        let r = UnsafeRawPointer(x)
        if n >= 32 {
            // `vmaxps(a, b)` returns b when either is NaN: a NaN value keeps the running maximum.
            var m0 = _mm256_set1_ps(-.infinity), m1 = m0, m2 = m0, m3 = m0
            while i + 32 <= n {
                m0 = _mm256_max_ps(r.loadUnaligned(fromByteOffset: 4 * i, as: __m256.self), m0)
                m1 = _mm256_max_ps(r.loadUnaligned(fromByteOffset: 4 * i + 32, as: __m256.self), m1)
                m2 = _mm256_max_ps(r.loadUnaligned(fromByteOffset: 4 * i + 64, as: __m256.self), m2)
                m3 = _mm256_max_ps(r.loadUnaligned(fromByteOffset: 4 * i + 96, as: __m256.self), m3)
                i += 32
            }
            m = maxLane(_mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)))
        }
        #endif
        while i < n {
            if x[i] > m { m = x[i] }
            i += 1
        }
        if !(m > -.infinity) { return 0 }
        i = 0
        #if SCOPE_AVX2
        let target = _mm_set1_ps(m)
        while i + 8 <= n {
            let v = r.loadUnaligned(fromByteOffset: 4 * i, as: __m256.self)
            let hits = _mm_movemask_ps(_mm_cmpeq_ps(v.lowHalf, target)) | _mm_movemask_ps(_mm_cmpeq_ps(v.highHalf, target)) << 4
            if hits != 0 { return i + hits.trailingZeroBitCount }
            i += 8
        }
        #endif
        while x[i] != m { i += 1 }
        return i
    }
}
