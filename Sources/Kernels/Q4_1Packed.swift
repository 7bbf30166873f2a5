import CVNNI
import GGUF
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

/// Q4_1 weights repacked for the 8-bit-activation decode kernels: eight rows interleaved so that
/// one 32-byte load gives each of eight vector lanes four bytes of its own row, and the kernel
/// computes eight rows' dot products at once with no transpose (llama.cpp's CPU "repack" buffers
/// do the same for its AVX2 Q4_0 path).
///
/// Layout: group g holds rows 8g..<8g+8; block b of the group (the rows' columns 32b..<32b+32) is
/// `blockBytes` = 160 bytes at `(g·nb + b)·160`:
/// - bytes 0..<16: the eight rows' d (f16), row r at 2r; bytes 16..<32: their m, row r at 16 + 2r;
/// - chunks j = 0..<4 of 32 bytes at 32 + 32j: row r's nibble bytes 4j..<4j+4 at 32 + 32j + 4r
///   (low nibbles: values 4j..<4j+4 of the block; high nibbles: values 16+4j..<16+4j+4).
///
/// The packed copy is made once per matrix (`PackedWeightStore`) when the model switches to 8-bit
/// activations; the matrix then reads everything, prefill's dequantized panels included, from it.
/// `Q8_0Packed` does the same for Q8_0.
public enum Q4_1Packed {
    /// Bytes of one block of eight rows (8 × 20, as in the file; `PackedMatrix.Layout`).
    public static let blockBytes = 160

    /// `y[t·yStride + i] = row i · activations of token firstToken + t` for the rows in `rows`
    /// (whole groups of eight) of the packed matrix and `tokens` activation rows of `a`.
    ///
    /// Per group and block: the code vectors stay in registers while four tokens (`quad`; the
    /// last one to three: `PackedBlock`, two at a time; eight in the VNNI kernel) use them; the
    /// integer dot of each row is exact, then per row `acc ← fma(float(dot), d·d_a, acc)` and
    /// `minAcc ← fma(m, s_a, minAcc)`, block after block;
    /// the row's result is `acc + minAcc`. `RowDot.dotQ4_1Q8` repeats these roundings for a lone row
    /// of the file's layout, so a row's value does not depend on the layout, the batch, the kernel
    /// or the tokens computed beside it. `kernel` must be one of `PackedMatrix.availableKernels`.
    @inline(__always)
    static func product(_ packed: UnsafeRawPointer, nb: Int, rows: Range<Int>, _ a: Q8View, firstToken: Int, tokens: Int,
                        _ y: UnsafeMutablePointer<Float>, yStride: Int, kernel: PackedMatrix.Kernel = PackedMatrix.defaultKernel) {
        #if SCOPE_AVX2
        assert(rows.lowerBound % 8 == 0 && rows.count % 8 == 0, "packed product: rows \(rows) are not whole groups")
        if kernel == .vnni {
            precondition(PackedMatrix.vnniAvailable, "the VNNI kernel needs AVX-512 VNNI")
            scope_q4_1_packed_vnni(packed.assumingMemoryBound(to: UInt8.self), nb, rows.lowerBound / 8, rows.upperBound / 8, a.qs,
                                   a.scales, a.sums, firstToken, tokens, y, yStride)
            return
        }
        let aq = UnsafeRawPointer(a.qs), prefetch = TimingSwitch.packedPrefetch.isOn
        PackedMatrix.eachGroup(packed, blockBytes: blockBytes, nb: nb, rows: rows, firstToken: firstToken, tokens: tokens, y,
                               yStride: yStride, quad: { base, t, out in
            quad(base, nb: nb, a, token: t, out, yStride: yStride, prefetch: prefetch && t == firstToken)
        }, pair: { base, t0, pair, out in
            let t1 = pair ? t0 + 1 : t0, ahead = prefetch && t0 == firstToken
            let q0 = aq + t0 * nb * 32, q1 = aq + t1 * nb * 32
            let sc0 = a.scales + t0 * nb, sc1 = a.scales + t1 * nb, su0 = a.sums + t0 * nb, su1 = a.sums + t1 * nb
            var acc0 = _mm256_setzero_ps(), min0 = _mm256_setzero_ps()
            var acc1 = _mm256_setzero_ps(), min1 = _mm256_setzero_ps()
            for b in 0..<nb {
                PackedMatrix.prefetchAhead(base + b * blockBytes, bytes: blockBytes, ahead)
                let w = PackedBlock(base + b * blockBytes)
                acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(w.dot(q0 + 32 * b)), _mm256_mul_ps(w.d, _mm256_set1_ps(sc0[b])), acc0)
                min0 = _mm256_fmadd_ps(w.m, _mm256_set1_ps(su0[b]), min0)
                if pair {
                    acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(w.dot(q1 + 32 * b)), _mm256_mul_ps(w.d, _mm256_set1_ps(sc1[b])), acc1)
                    min1 = _mm256_fmadd_ps(w.m, _mm256_set1_ps(su1[b]), min1)
                }
            }
            _mm256_storeu_ps(out, _mm256_add_ps(acc0, min0))
            if pair { _mm256_storeu_ps(out + yStride, _mm256_add_ps(acc1, min1)) }
        })
        #else
        preconditionFailure("this build has no packed Q4_1 kernel (PackedMatrix.isPackable is false)")
        #endif
    }
}

#if SCOPE_AVX2
extension Q4_1Packed {
    /// One group of eight rows times four tokens from `token`, into `y` (token i's eight results at
    /// `y + i·yStride`). Per block the low-nibble code vectors are unpacked once for the four tokens'
    /// first halves, then the high ones for their second halves (AVX2's sixteen registers do not hold
    /// eight code vectors beside four tokens' sums); the min terms get their own pass over the blocks.
    /// Each token's integer dot is the same exact sum as `PackedBlock.dot` (16-bit partial sums that
    /// cannot overflow, in any order), and its float steps are the pair kernel's, block after block,
    /// so the bits are the same: only the number of tokens sharing an unpacked block differs. On a
    /// CPU without VNNI, where these products are arithmetic-bound from four tokens on, batched
    /// steps at 4 and 8 sequences ran 1.08× faster than with pairs (Zen 1, BENCHMARKS.md).
    @inline(__always)
    static func quad(_ base: UnsafeRawPointer, nb: Int, _ a: Q8View, token t: Int, _ y: UnsafeMutablePointer<Float>, yStride: Int,
                     prefetch: Bool) {
        let mask = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1)
        let aq = UnsafeRawPointer(a.qs)
        let q0 = aq + t * nb * 32, q1 = q0 + nb * 32, q2 = q1 + nb * 32, q3 = q2 + nb * 32
        let sc0 = a.scales + t * nb, sc1 = sc0 + nb, sc2 = sc1 + nb, sc3 = sc2 + nb
        var acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps()
        @inline(__always) func chunk(_ p: UnsafeRawPointer, _ j: Int) -> __m256i {
            unsafeBitCast(p.loadUnaligned(fromByteOffset: 32 + 32 * j, as: SIMD32<UInt8>.self), to: __m256i.self)
        }
        /// Σ_j maddubs(code j, activation bytes 4(first + j) of `q`), j < 4, in 16 bits.
        @inline(__always) func half(_ c0: __m256i, _ c1: __m256i, _ c2: __m256i, _ c3: __m256i, _ q: UnsafeRawPointer,
                                    _ first: Int) -> __m256i {
            @inline(__always) func product(_ w: __m256i, _ j: Int) -> __m256i {
                _mm256_maddubs_epi16(w, _mm256_set1_epi32(q.loadUnaligned(fromByteOffset: 4 * (first + j), as: Int32.self)))
            }
            return _mm256_add_epi16(_mm256_add_epi16(product(c0, 0), product(c1, 1)), _mm256_add_epi16(product(c2, 2), product(c3, 3)))
        }
        for b in 0..<nb {
            let p = base + b * blockBytes
            PackedMatrix.prefetchAhead(p, bytes: blockBytes, prefetch)
            let l0 = _mm256_and_si256(chunk(p, 0), mask), l1 = _mm256_and_si256(chunk(p, 1), mask)
            let l2 = _mm256_and_si256(chunk(p, 2), mask), l3 = _mm256_and_si256(chunk(p, 3), mask)
            let s0 = half(l0, l1, l2, l3, q0 + 32 * b, 0), s1 = half(l0, l1, l2, l3, q1 + 32 * b, 0)
            let s2 = half(l0, l1, l2, l3, q2 + 32 * b, 0), s3 = half(l0, l1, l2, l3, q3 + 32 * b, 0)
            let h0 = _mm256_and_si256(_mm256_srli_epi16(chunk(p, 0), 4), mask), h1 = _mm256_and_si256(_mm256_srli_epi16(chunk(p, 1), 4), mask)
            let h2 = _mm256_and_si256(_mm256_srli_epi16(chunk(p, 2), 4), mask), h3 = _mm256_and_si256(_mm256_srli_epi16(chunk(p, 3), 4), mask)
            let d = _mm256_cvtph_ps(load16(p))
            @inline(__always) func fold(_ s: __m256i, _ q: UnsafeRawPointer, _ scale: Float, _ acc: __m256) -> __m256 {
                let dot = _mm256_madd_epi16(_mm256_add_epi16(s, half(h0, h1, h2, h3, q + 32 * b, 4)), ones)
                return _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(d, _mm256_set1_ps(scale)), acc)
            }
            acc0 = fold(s0, q0, sc0[b], acc0); acc1 = fold(s1, q1, sc1[b], acc1)
            acc2 = fold(s2, q2, sc2[b], acc2); acc3 = fold(s3, q3, sc3[b], acc3)
        }
        let su0 = a.sums + t * nb, su1 = su0 + nb, su2 = su1 + nb, su3 = su2 + nb
        var min0 = _mm256_setzero_ps(), min1 = _mm256_setzero_ps(), min2 = _mm256_setzero_ps(), min3 = _mm256_setzero_ps()
        for b in 0..<nb {
            let m = _mm256_cvtph_ps(load16(base + b * blockBytes + 16))
            min0 = _mm256_fmadd_ps(m, _mm256_set1_ps(su0[b]), min0); min1 = _mm256_fmadd_ps(m, _mm256_set1_ps(su1[b]), min1)
            min2 = _mm256_fmadd_ps(m, _mm256_set1_ps(su2[b]), min2); min3 = _mm256_fmadd_ps(m, _mm256_set1_ps(su3[b]), min3)
        }
        _mm256_storeu_ps(y, _mm256_add_ps(acc0, min0)); _mm256_storeu_ps(y + yStride, _mm256_add_ps(acc1, min1))
        _mm256_storeu_ps(y + 2 * yStride, _mm256_add_ps(acc2, min2)); _mm256_storeu_ps(y + 3 * yStride, _mm256_add_ps(acc3, min3))
    }
}

/// One packed block of eight rows in registers: `v[j]` (j < 4) holds in lane r the low nibbles of
/// row r's bytes 4j..<4j+4, `v[4 + j]` the high nibbles, as bytes 0…15; `d`, `m` the rows' scales
/// and mins as floats.
struct PackedBlock {
    var v0, v1, v2, v3, v4, v5, v6, v7: __m256i
    var d, m: __m256

    @inline(__always)
    init(_ p: UnsafeRawPointer) {
        let mask = _mm256_set1_epi8(0x0F)
        @inline(__always) func chunk(_ j: Int) -> __m256i {
            unsafeBitCast(p.loadUnaligned(fromByteOffset: 32 + 32 * j, as: SIMD32<UInt8>.self), to: __m256i.self)
        }
        let c0 = chunk(0), c1 = chunk(1), c2 = chunk(2), c3 = chunk(3)
        v0 = _mm256_and_si256(c0, mask); v1 = _mm256_and_si256(c1, mask)
        v2 = _mm256_and_si256(c2, mask); v3 = _mm256_and_si256(c3, mask)
        v4 = _mm256_and_si256(_mm256_srli_epi16(c0, 4), mask); v5 = _mm256_and_si256(_mm256_srli_epi16(c1, 4), mask)
        v6 = _mm256_and_si256(_mm256_srli_epi16(c2, 4), mask); v7 = _mm256_and_si256(_mm256_srli_epi16(c3, 4), mask)
        d = _mm256_cvtph_ps(load16(p))
        m = _mm256_cvtph_ps(load16(p + 16))
    }

    /// Lane r = row r's exact integer dot with the 32 activation bytes at `q`: each code vector
    /// times its four activation bytes broadcast to every lane (`vpmaddubsw`, pairs |·| ≤ 2·15·127),
    /// the eight summed in 16 bits (|sum| ≤ 30,480 < 2^15: exact, activations are never −128), then
    /// adjacent pairs widened (`vpmaddwd`).
    @inline(__always)
    func dot(_ q: UnsafeRawPointer) -> __m256i {
        @inline(__always) func product(_ w: __m256i, _ j: Int) -> __m256i {
            _mm256_maddubs_epi16(w, _mm256_set1_epi32(q.loadUnaligned(fromByteOffset: 4 * j, as: Int32.self)))
        }
        let s01 = _mm256_add_epi16(product(v0, 0), product(v1, 1)), s23 = _mm256_add_epi16(product(v2, 2), product(v3, 3))
        let s45 = _mm256_add_epi16(product(v4, 4), product(v5, 5)), s67 = _mm256_add_epi16(product(v6, 6), product(v7, 7))
        let sum = _mm256_add_epi16(_mm256_add_epi16(s01, s23), _mm256_add_epi16(s45, s67))
        return _mm256_madd_epi16(sum, _mm256_set1_epi16(1))
    }
}
#endif
