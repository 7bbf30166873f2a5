// Scale unpacking shared by the AVX2 and the generic Q4_K/Q5_K lane decoders.

extension RowDot {
    /// The effective scales `d·sc_j` and negated mins `−dmin·m_j` of the 8 Q4_K/Q5_K sub-blocks.
    /// The 6-bit sc_j, m_j are packed in the 12 bytes at `blk + 4` (ggml's `get_scale_min_k4`):
    /// with A, B, C the bytes 0..<4, 4..<8, 8..<12, sc = [A & 63, lo(C) | (A >> 6) << 4] and
    /// m = [B & 63, hi(C) | (B >> 6) << 4]; unpacked four bytes at a time in 32-bit words.
    @inline(__always)
    static func kScalesAndMins(_ blk: UnsafeRawPointer, _ d: Float, _ dmin: Float) -> (SIMD8<Float>, SIMD8<Float>) {
        let a = blk.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        let b = blk.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        let c = blk.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
        let sc = UInt64(a & 0x3F3F_3F3F) | UInt64((c & 0x0F0F_0F0F) | ((a >> 2) & 0x3030_3030)) << 32
        let m = UInt64(b & 0x3F3F_3F3F) | UInt64(((c >> 4) & 0x0F0F_0F0F) | ((b >> 2) & 0x3030_3030)) << 32
        // Little-endian: byte j of the word is sub-block j.
        return (SIMD8(repeating: d) * uint8Floats(unsafeBitCast(sc.littleEndian, to: SIMD8<UInt8>.self)),
                SIMD8(repeating: -dmin) * uint8Floats(unsafeBitCast(m.littleEndian, to: SIMD8<UInt8>.self)))
    }
}
