#if !SCOPE_AVX2
// Lane decoders for Q4_0, Q5_0, Q5_1 and the K-quants written with Swift SIMD types (16-byte
// vectors: one NEON register on ARM64, one xmm register on x86-64), for every build without the
// AVX2 intrinsics. Same walk and the same per-sub-block scale arithmetic as the AVX2 decoders in
// RowDotLegacyQuants.swift and RowDotKQuants.swift (block layouts in engine-facts §B.2; scalar
// oracles in GGUF/Dequantize.swift and GGUF/DequantizeKQuants.swift).

/// 16 bytes at `p` (unaligned).
@inline(__always)
private func bytes16(_ p: UnsafeRawPointer) -> SIMD16<UInt8> { p.loadUnaligned(as: SIMD16<UInt8>.self) }

/// Byte i = 16 where bit i of `bits` is set, 0 otherwise (i in 0..<16): the fifth bit of Q5_0/Q5_1.
@inline(__always)
private func bitsTo16(_ bits: UInt16) -> SIMD16<UInt8> {
    let spread = SIMD16<UInt8>(lowHalf: SIMD8(repeating: UInt8(truncatingIfNeeded: bits)),
                               highHalf: SIMD8(repeating: UInt8(truncatingIfNeeded: bits >> 8)))
    let select = SIMD16<UInt8>(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128)
    // A selected bit (1...128) plus 127 sets bit 7; a clear one leaves it clear.
    return (((spread & select) &+ 127) & 128) &>> 3
}

/// Byte i = bit `bit` of byte i of `v` (0 or 1).
@inline(__always)
private func bitOf(_ v: SIMD16<UInt8>, _ bit: Int) -> SIMD16<UInt8> { (v &>> UInt8(bit)) & 1 }

extension RowDot {
    /// Q4_0: 18-byte blocks `d:f16, qs[16]`; element j = (lo(qs[j]) − 8)·d, j+16 = (hi(qs[j]) − 8)·d.
    @inline(__always)
    static func decodeQ4_0<S: QuantLaneSink>(_ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        for b in 0..<(n / 32) {
            let blk = row + b * 18
            let d = halfAt(blk, 0)
            let raw = bytes16(blk + 2)
            sink.put(QuantLanes((raw & 0x0F) &- 8, (raw &>> 4) &- 8), 32 * b, d, d)
        }
    }

    /// Q5_0: 22-byte blocks `d:f16, qh:u32, qs[16]`; the 5th bit of element j is bit j of qh;
    /// value = (q − 16)·d.
    @inline(__always)
    static func decodeQ5_0<S: QuantLaneSink>(_ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        for b in 0..<(n / 32) {
            let blk = row + b * 22
            let d = halfAt(blk, 0)
            let qh = blk.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
            let raw = bytes16(blk + 6)
            let lo = ((raw & 0x0F) | bitsTo16(UInt16(truncatingIfNeeded: qh))) &- 16
            let hi = ((raw &>> 4) | bitsTo16(UInt16(truncatingIfNeeded: qh >> 16))) &- 16
            sink.put(QuantLanes(lo, hi), 32 * b, d, d)
        }
    }

    /// Q5_1: 24-byte blocks `d:f16, m:f16, qh:u32, qs[16]`; value = q·d + m.
    @inline(__always)
    static func decodeQ5_1<S: QuantLaneSink>(_ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        for b in 0..<(n / 32) {
            let blk = row + b * 24
            let d = halfAt(blk, 0), m = halfAt(blk, 2)
            let qh = blk.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
            let raw = bytes16(blk + 8)
            let lo = (raw & 0x0F) | bitsTo16(UInt16(truncatingIfNeeded: qh))
            let hi = (raw &>> 4) | bitsTo16(UInt16(truncatingIfNeeded: qh >> 16))
            sink.putAffine(QuantLanes(lo, hi), 32 * b, d, m, d, m)
        }
    }

    /// Q2_K (84 bytes): scales[16] · qs[64] · d · dmin. Two halves of 128; in each, for shifts
    /// 0, 2, 4, 6 the 32 bytes of the half give 32 two-bit values (16 per scale byte); value =
    /// d·lo(sc)·q − dmin·hi(sc).
    @inline(__always)
    static func decodeQ2_K<S: QuantLaneSink>(_ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        for b in 0..<(n / 256) {
            let blk = row + b * 84
            let d = halfAt(blk, 80), negMin = -halfAt(blk, 82)
            @inline(__always) func scale(_ k: Int) -> Float { d * Float(blk.load(fromByteOffset: k, as: UInt8.self) & 0x0F) }
            @inline(__always) func bias(_ k: Int) -> Float { negMin * Float(blk.load(fromByteOffset: k, as: UInt8.self) >> 4) }
            for half in 0..<2 {
                let q0 = bytes16(blk + 16 + 32 * half), q1 = bytes16(blk + 32 + 32 * half)
                for step in 0..<4 {
                    let shift = UInt8(2 * step), i = 8 * half + 2 * step
                    sink.putAffine(QuantLanes((q0 &>> shift) & 3, (q1 &>> shift) & 3), 256 * b + 128 * half + 32 * step,
                                   scale(i), bias(i), scale(i + 1), bias(i + 1))
                }
            }
        }
    }

    /// Q3_K (110 bytes): hmask[32] · qs[64] · scales[12] · d. Same walk as Q2_K; the quant loses 4
    /// when its hmask bit (bit `4·half + step` of hmask[l]) is clear; scale = d·(s − 32) with 6-bit s.
    @inline(__always)
    static func decodeQ3_K<S: QuantLaneSink>(_ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        for b in 0..<(n / 256) {
            let blk = row + b * 110
            let d = halfAt(blk, 108)
            let h0 = bytes16(blk), h1 = bytes16(blk + 16)
            for half in 0..<2 {
                let q0 = bytes16(blk + 32 + 32 * half), q1 = bytes16(blk + 48 + 32 * half)
                for step in 0..<4 {
                    let shift = UInt8(2 * step), bit = 4 * half + step, i = 8 * half + 2 * step
                    // low two bits − 4 + 4·(hmask bit), wrapping in bytes (−4...3 as int8).
                    let v0 = ((q0 &>> shift) & 3) &+ (bitOf(h0, bit) &<< 2) &- 4
                    let v1 = ((q1 &>> shift) & 3) &+ (bitOf(h1, bit) &<< 2) &- 4
                    sink.put(QuantLanes(v0, v1), 256 * b + 128 * half + 32 * step, q3_KScale(blk, i, d), q3_KScale(blk, i + 1, d))
                }
            }
        }
    }

    /// The effective Q3_K scale `d·(s_i − 32)`: s_i has its low 4 bits in byte 96 + i%8 (low
    /// nibble for i < 8, high nibble for i ≥ 8) and its high 2 bits at bit 2·(i/4) of byte 104 + i%4.
    @inline(__always)
    static func q3_KScale(_ blk: UnsafeRawPointer, _ i: Int, _ d: Float) -> Float {
        let low = (blk.load(fromByteOffset: 96 + i % 8, as: UInt8.self) >> UInt8(4 * (i / 8))) & 0x0F
        let high = (blk.load(fromByteOffset: 104 + i % 4, as: UInt8.self) >> UInt8(2 * (i / 4))) & 3
        return d * Float(Int(low | high << 4) - 32)
    }

    /// Q4_K (144 bytes): d · dmin · scales[12] · qs[128]. Chunk c of 64: low nibbles of 32 bytes
    /// (sub-block 2c) then high nibbles (2c+1); value = d·sc·q − dmin·m.
    @inline(__always)
    static func decodeQ4_K<S: QuantLaneSink>(_ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        for b in 0..<(n / 256) {
            let blk = row + b * 144
            let (scales, mins) = kScalesAndMins(blk, halfAt(blk, 0), halfAt(blk, 2))
            for c in 0..<4 {
                let r0 = bytes16(blk + 16 + 32 * c), r1 = bytes16(blk + 32 + 32 * c)
                let s0 = scales[2 * c], b0 = mins[2 * c], s1 = scales[2 * c + 1], b1 = mins[2 * c + 1]
                sink.putAffine(QuantLanes(r0 & 0x0F, r1 & 0x0F), 256 * b + 64 * c, s0, b0, s0, b0)
                sink.putAffine(QuantLanes(r0 &>> 4, r1 &>> 4), 256 * b + 64 * c + 32, s1, b1, s1, b1)
            }
        }
    }

    /// Q5_K (176 bytes): d · dmin · scales[12] · qh[32] · qs[128]. As Q4_K plus a fifth bit (16)
    /// from qh[l]: bit 2c for the low nibbles of chunk c, bit 2c+1 for the high nibbles.
    @inline(__always)
    static func decodeQ5_K<S: QuantLaneSink>(_ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        for b in 0..<(n / 256) {
            let blk = row + b * 176
            let (scales, mins) = kScalesAndMins(blk, halfAt(blk, 0), halfAt(blk, 2))
            let h0 = bytes16(blk + 16), h1 = bytes16(blk + 32)
            for c in 0..<4 {
                let r0 = bytes16(blk + 48 + 32 * c), r1 = bytes16(blk + 64 + 32 * c)
                let lo = QuantLanes((r0 & 0x0F) | (bitOf(h0, 2 * c) &<< 4), (r1 & 0x0F) | (bitOf(h1, 2 * c) &<< 4))
                let hi = QuantLanes((r0 &>> 4) | (bitOf(h0, 2 * c + 1) &<< 4), (r1 &>> 4) | (bitOf(h1, 2 * c + 1) &<< 4))
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
        /// The four groups' lanes for 16 consecutive l: ql[l] in `a`, ql[l+32] in `c`, qh[l] in `h`.
        @inline(__always)
        func groups(_ a: SIMD16<UInt8>, _ c: SIMD16<UInt8>, _ h: SIMD16<UInt8>)
            -> (SIMD16<UInt8>, SIMD16<UInt8>, SIMD16<UInt8>, SIMD16<UInt8>) {
            (((a & 0x0F) | ((h &<< 4) & 0x30)) &- 32, ((c & 0x0F) | ((h &<< 2) & 0x30)) &- 32,
             ((a &>> 4) | (h & 0x30)) &- 32, ((c &>> 4) | ((h &>> 2) & 0x30)) &- 32)
        }
        for b in 0..<(n / 256) {
            let blk = row + b * 210
            let d = halfAt(blk, 208)
            for half in 0..<2 {
                let ql = blk + 64 * half, qh = blk + 128 + 32 * half
                @inline(__always) func scale(_ k: Int) -> Float {
                    d * Float(blk.load(fromByteOffset: 192 + 8 * half + k, as: Int8.self))
                }
                let (l1, l2, l3, l4) = groups(bytes16(ql), bytes16(ql + 32), bytes16(qh))
                let (u1, u2, u3, u4) = groups(bytes16(ql + 16), bytes16(ql + 48), bytes16(qh + 16))
                let base = 256 * b + 128 * half
                sink.put(QuantLanes(l1, u1), base, scale(0), scale(1))
                sink.put(QuantLanes(l2, u2), base + 32, scale(2), scale(3))
                sink.put(QuantLanes(l3, u3), base + 64, scale(4), scale(5))
                sink.put(QuantLanes(l4, u4), base + 96, scale(6), scale(7))
            }
        }
    }
}
#endif
