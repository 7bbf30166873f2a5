import CVNNI
import GGUF
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

/// Q8_0 weights repacked for the 8-bit-activation decode kernels, as `Q4_1Packed` does for Q4_1
/// (in SmolLM2, the 49,152-row output head): eight rows interleaved so that one 32-byte load gives
/// each of eight lanes four bytes of its own row.
///
/// Layout: group g holds rows 8g..<8g+8; block b of the group is `blockBytes` = 272 bytes at
/// `(g·nb + b)·272`: bytes 0..<16 the eight rows' d (f16, row r at 2r), then chunks j = 0..<8 of
/// 32 bytes at 16 + 32j, row r's code bytes 4j..<4j+4 at 16 + 32j + 4r.
public enum Q8_0Packed {
    /// Bytes of one block of eight rows (8 × 34, as in the file; `PackedMatrix.Layout`).
    public static let blockBytes = 272

    /// `y[t·yStride + i] = row i · activations of token firstToken + t` for the rows in `rows`
    /// (whole groups of eight) of the packed matrix and `tokens` activation rows of `a`.
    ///
    /// Per group and block: each row's exact integer dot (`|w|` times the activations with `w`'s
    /// signs, `vpmaddubsw` + `vpmaddwd` per chunk, or one `vpdpbusd` with VNNI), then per row
    /// `acc ← fma(float(dot), d·d_a, acc)`, block after block: the roundings of
    /// `RowDot.dotQ8_0Q8` for a lone row. Four tokens at a time share each chunk's load and `|w|`
    /// (`quad`), the last one to three go two at a time. `kernel` must be one of
    /// `PackedMatrix.availableKernels`.
    @inline(__always)
    static func product(_ packed: UnsafeRawPointer, nb: Int, rows: Range<Int>, _ a: Q8View, firstToken: Int, tokens: Int,
                        _ y: UnsafeMutablePointer<Float>, yStride: Int, kernel: PackedMatrix.Kernel = PackedMatrix.defaultKernel) {
        #if SCOPE_AVX2
        assert(rows.lowerBound % 8 == 0 && rows.count % 8 == 0, "packed product: rows \(rows) are not whole groups")
        if kernel == .vnni {
            precondition(PackedMatrix.vnniAvailable, "the VNNI kernel needs AVX-512 VNNI")
            scope_q8_0_packed_vnni(packed.assumingMemoryBound(to: UInt8.self), nb, rows.lowerBound / 8, rows.upperBound / 8, a.qs,
                                   a.scales, firstToken, tokens, y, yStride)
            return
        }
        let aq = UnsafeRawPointer(a.qs), ones = _mm256_set1_epi16(1), prefetch = TimingSwitch.packedPrefetch.isOn
        @inline(__always) func dot(_ p: UnsafeRawPointer, _ q: UnsafeRawPointer) -> __m256i {
            var sum = _mm256_setzero_si256()
            for j in 0..<8 {
                let c = unsafeBitCast(p.loadUnaligned(fromByteOffset: 16 + 32 * j, as: SIMD32<Int8>.self), to: __m256i.self)
                let x = _mm256_set1_epi32(q.loadUnaligned(fromByteOffset: 4 * j, as: Int32.self))
                sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(c), _mm256_sign_epi8(x, c)), ones))
            }
            return sum
        }
        PackedMatrix.eachGroup(packed, blockBytes: blockBytes, nb: nb, rows: rows, firstToken: firstToken, tokens: tokens, y,
                               yStride: yStride, quad: { base, t, out in
            quad(base, nb: nb, a, token: t, out, yStride: yStride, prefetch: prefetch && t == firstToken)
        }, pair: { base, t0, pair, out in
            let t1 = pair ? t0 + 1 : t0, ahead = prefetch && t0 == firstToken
            let q0 = aq + t0 * nb * 32, q1 = aq + t1 * nb * 32
            let sc0 = a.scales + t0 * nb, sc1 = a.scales + t1 * nb
            var acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps()
            for b in 0..<nb {
                let p = base + b * blockBytes
                PackedMatrix.prefetchAhead(p, bytes: blockBytes, ahead)
                let d = _mm256_cvtph_ps(load16(p))
                acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot(p, q0 + 32 * b)), _mm256_mul_ps(d, _mm256_set1_ps(sc0[b])), acc0)
                if pair {
                    acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot(p, q1 + 32 * b)), _mm256_mul_ps(d, _mm256_set1_ps(sc1[b])), acc1)
                }
            }
            _mm256_storeu_ps(out, acc0)
            if pair { _mm256_storeu_ps(out + yStride, acc1) }
        })
        #else
        preconditionFailure("this build has no packed Q8_0 kernel (PackedMatrix.isPackable is false)")
        #endif
    }
}

#if SCOPE_AVX2
extension Q8_0Packed {
    /// One group of eight rows times four tokens from `token`, into `y` (token i's eight results at
    /// `y + i·yStride`). Each chunk of codes is loaded and made absolute once for the four tokens
    /// (the pair kernel does both per token); every token's integer dot is the same exact sum and
    /// its float steps are the pair kernel's, block after block, so the bits are the same.
    @inline(__always)
    static func quad(_ base: UnsafeRawPointer, nb: Int, _ a: Q8View, token t: Int, _ y: UnsafeMutablePointer<Float>, yStride: Int,
                     prefetch: Bool) {
        let ones = _mm256_set1_epi16(1), zero = _mm256_setzero_si256()
        let q0 = UnsafeRawPointer(a.qs) + t * nb * 32, q1 = q0 + nb * 32, q2 = q1 + nb * 32, q3 = q2 + nb * 32
        let sc0 = a.scales + t * nb, sc1 = sc0 + nb, sc2 = sc1 + nb, sc3 = sc2 + nb
        var acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps()
        for b in 0..<nb {
            let p = base + b * blockBytes
            PackedMatrix.prefetchAhead(p, bytes: blockBytes, prefetch)
            var s0 = zero, s1 = zero, s2 = zero, s3 = zero
            for j in 0..<8 {
                let c = unsafeBitCast(p.loadUnaligned(fromByteOffset: 16 + 32 * j, as: SIMD32<Int8>.self), to: __m256i.self)
                let w = _mm256_abs_epi8(c)
                /// Lane r: row r's codes 4j..<4j+4 times the token's activation bytes 4j..<4j+4 of block b.
                @inline(__always) func term(_ q: UnsafeRawPointer) -> __m256i {
                    let x = _mm256_set1_epi32(q.loadUnaligned(fromByteOffset: 32 * b + 4 * j, as: Int32.self))
                    return _mm256_madd_epi16(_mm256_maddubs_epi16(w, _mm256_sign_epi8(x, c)), ones)
                }
                s0 = _mm256_add_epi32(s0, term(q0)); s1 = _mm256_add_epi32(s1, term(q1))
                s2 = _mm256_add_epi32(s2, term(q2)); s3 = _mm256_add_epi32(s3, term(q3))
            }
            let d = _mm256_cvtph_ps(load16(p))
            acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s0), _mm256_mul_ps(d, _mm256_set1_ps(sc0[b])), acc0)
            acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s1), _mm256_mul_ps(d, _mm256_set1_ps(sc1[b])), acc1)
            acc2 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s2), _mm256_mul_ps(d, _mm256_set1_ps(sc2[b])), acc2)
            acc3 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s3), _mm256_mul_ps(d, _mm256_set1_ps(sc3[b])), acc3)
        }
        _mm256_storeu_ps(y, acc0); _mm256_storeu_ps(y + yStride, acc1)
        _mm256_storeu_ps(y + 2 * yStride, acc2); _mm256_storeu_ps(y + 3 * yStride, acc3)
    }
}
#endif
