import GGUF
#if SCOPE_AVX2
import _Builtin_intrinsics.intel

// Lane decoders for the 256-element K-quants Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (block layouts in
// engine-facts §B.2; scalar oracles in GGUF/DequantizeKQuants.swift). Each emits the super-block as
// 8 groups of 32 weights in element order, with the reference's per-sub-block scale arithmetic.

extension RowDot {
    /// Q2_K (84 bytes): scales[16] · qs[64] · d · dmin. Two halves of 128; in each, for shifts
    /// 0, 2, 4, 6 the 32 bytes of the half give 32 two-bit values (16 per scale byte); value =
    /// d·lo(sc)·q − dmin·hi(sc).
    @inline(__always)
    static func decodeQ2_K<S: QuantLaneSink>(_ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        let three = bytes(3)
        for b in 0..<(n / 256) {
            let blk = row + b * 84
            // Scale byte k: d·lo(k) is the scale, −dmin·hi(k) the bias of sub-block k.
            let packed = load16(blk), nibble = _mm_set1_epi8(0x0F)
            let scales = sixteenFloats(_mm_and_si128(packed, nibble), halfAt(blk, 80))
            let mins = sixteenFloats(_mm_and_si128(_mm_srli_epi16(packed, 4), nibble), -halfAt(blk, 82))
            for half in 0..<2 {
                let q = load32(blk + 16 + 32 * half)
                for step in 0..<4 {
                    let v = _mm256_and_si256(_mm256_srli_epi16(q, Int32(2 * step)), three)
                    let i = 8 * half + 2 * step
                    sink.putAffine(v, 256 * b + 128 * half + 32 * step, scales[i], mins[i], scales[i + 1], mins[i + 1])
                }
            }
        }
    }

    /// `factor · v_i` for the 16 unsigned bytes of `v` (one rounding each, as the reference).
    @inline(__always)
    static func sixteenFloats(_ v: __m128i, _ factor: Float) -> SIMD16<Float> {
        let f = _mm256_set1_ps(factor)
        return SIMD16<Float>(lowHalf: _mm256_mul_ps(f, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v))),
                             highHalf: _mm256_mul_ps(f, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(v, v)))))
    }

    /// Q3_K (110 bytes): hmask[32] · qs[64] · scales[12] · d. Same walk as Q2_K; the quant loses 4
    /// when its hmask bit (bit `4·half + step` of hmask[l]) is clear; scale = d·(s − 32) with 6-bit s.
    @inline(__always)
    static func decodeQ3_K<S: QuantLaneSink>(_ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        let three = bytes(3), four = bytes(4), zero = _mm256_setzero_si256()
        for b in 0..<(n / 256) {
            let blk = row + b * 110
            let d = halfAt(blk, 108)
            let scales = q3_KScales(blk, d)
            let hmask = load32(blk)
            for half in 0..<2 {
                let q = load32(blk + 32 + 32 * half)
                for step in 0..<4 {
                    let low = _mm256_and_si256(_mm256_srli_epi16(q, Int32(2 * step)), three)
                    let bit = bytes(UInt8(1) << UInt8(4 * half + step))
                    let clear = _mm256_cmpeq_epi8(_mm256_and_si256(hmask, bit), zero)
                    let v = _mm256_sub_epi8(low, _mm256_and_si256(clear, four))
                    let i = 8 * half + 2 * step
                    sink.put(v, 256 * b + 128 * half + 32 * step, scales[i], scales[i + 1])
                }
            }
        }
    }

    /// The 16 effective Q3_K scales `d·(s_i − 32)`; s_i has its low 4 bits in the nibbles of
    /// bytes 96..<104 (low nibbles for i < 8, high nibbles for i ≥ 8) and its high 2 bits at bit
    /// 2·(i/4) of byte 104 + i%4. Unpacked with vector ops (no per-lane stores).
    @inline(__always)
    static func q3_KScales(_ blk: UnsafeRawPointer, _ d: Float) -> SIMD16<Float> {
        let mask = _mm_set1_epi8(0x0F)
        let packed = _mm_loadl_epi64((blk + 96).assumingMemoryBound(to: __m128i.self))
        let low = _mm_unpacklo_epi64(_mm_and_si128(packed, mask), _mm_and_si128(_mm_srli_epi16(packed, 4), mask))
        // Byte i holds byte 104 + i%4; each group of 4 bytes shifts right by 2·(i/4).
        let highBytes = _mm_set1_epi32(Int32(bitPattern: blk.loadUnaligned(fromByteOffset: 104, as: UInt32.self)))
        let high = _mm_and_si128(_mm_srlv_epi32(highBytes, _mm_set_epi32(6, 4, 2, 0)), _mm_set1_epi8(3))
        let q = _mm_sub_epi8(_mm_or_si128(low, _mm_slli_epi16(high, 4)), _mm_set1_epi8(32))
        let vd = _mm256_set1_ps(d)
        let lo = _mm256_mul_ps(vd, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)))
        let hi = _mm256_mul_ps(vd, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(q, q))))
        return SIMD16<Float>(lowHalf: lo, highHalf: hi)
    }

    /// Q4_K (144 bytes): d · dmin · scales[12] · qs[128]. Chunk c of 64: low nibbles of 32 bytes
    /// (sub-block 2c) then high nibbles (2c+1); value = d·sc·q − dmin·m.
    @inline(__always)
    static func decodeQ4_K<S: QuantLaneSink>(_ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        let mask = bytes(0x0F)
        for b in 0..<(n / 256) {
            let blk = row + b * 144
            let (scales, mins) = kScalesAndMins(blk, halfAt(blk, 0), halfAt(blk, 2))
            for c in 0..<4 {
                let raw = load32(blk + 16 + 32 * c)
                let lo = _mm256_and_si256(raw, mask), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), mask)
                let s0 = scales[2 * c], b0 = mins[2 * c], s1 = scales[2 * c + 1], b1 = mins[2 * c + 1]
                sink.putAffine(lo, 256 * b + 64 * c, s0, b0, s0, b0)
                sink.putAffine(hi, 256 * b + 64 * c + 32, s1, b1, s1, b1)
            }
        }
    }

    /// Q5_K (176 bytes): d · dmin · scales[12] · qh[32] · qs[128]. As Q4_K plus a fifth bit (16)
    /// from qh[l]: bit 2c for the low nibbles of chunk c, bit 2c+1 for the high nibbles.
    @inline(__always)
    static func decodeQ5_K<S: QuantLaneSink>(_ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        let mask = bytes(0x0F)
        for b in 0..<(n / 256) {
            let blk = row + b * 176
            let (scales, mins) = kScalesAndMins(blk, halfAt(blk, 0), halfAt(blk, 2))
            let qh = load32(blk + 16)
            for c in 0..<4 {
                let raw = load32(blk + 48 + 32 * c)
                let lo = _mm256_or_si256(_mm256_and_si256(raw, mask), bitToValue(qh, bit: 2 * c, 16))
                let hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(raw, 4), mask), bitToValue(qh, bit: 2 * c + 1, 16))
                let s0 = scales[2 * c], b0 = mins[2 * c], s1 = scales[2 * c + 1], b1 = mins[2 * c + 1]
                sink.putAffine(lo, 256 * b + 64 * c, s0, b0, s0, b0)
                sink.putAffine(hi, 256 * b + 64 * c + 32, s1, b1, s1, b1)
            }
        }
    }

    /// Q6_K (210 bytes): ql[128] · qh[64] · scales int8[16] · d. Per half of 128 (ql + 64·half,
    /// qh + 32·half, scales + 8·half): four groups of 32 from lo(ql[l]), lo(ql[l+32]), hi(ql[l]),
    /// hi(ql[l+32]) with two more bits each from qh[l]; value = d·sc·(q − 32), 16 per scale.
    @inline(__always)
    static func decodeQ6_K<S: QuantLaneSink>(_ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        let mask = bytes(0x0F), top = bytes(0x30), bias = bytes(32)
        for b in 0..<(n / 256) {
            let blk = row + b * 210
            let d = halfAt(blk, 208)
            for half in 0..<2 {
                let a = load32(blk + 64 * half), c = load32(blk + 64 * half + 32), h = load32(blk + 128 + 32 * half)
                @inline(__always) func scale(_ k: Int) -> Float {
                    d * Float(blk.load(fromByteOffset: 192 + 8 * half + k, as: Int8.self))
                }
                let q1 = _mm256_or_si256(_mm256_and_si256(a, mask), _mm256_and_si256(_mm256_slli_epi16(h, 4), top))
                let q2 = _mm256_or_si256(_mm256_and_si256(c, mask), _mm256_and_si256(_mm256_slli_epi16(h, 2), top))
                let q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(a, 4), mask), _mm256_and_si256(h, top))
                let q4 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(c, 4), mask), _mm256_and_si256(_mm256_srli_epi16(h, 2), top))
                let base = 256 * b + 128 * half
                sink.put(_mm256_sub_epi8(q1, bias), base, scale(0), scale(1))
                sink.put(_mm256_sub_epi8(q2, bias), base + 32, scale(2), scale(3))
                sink.put(_mm256_sub_epi8(q3, bias), base + 64, scale(4), scale(5))
                sink.put(_mm256_sub_epi8(q4, bias), base + 96, scale(6), scale(7))
            }
        }
    }
}
#endif
