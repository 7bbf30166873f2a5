#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

/// A block format of quantized K/V rows as the attention kernels read it: 32 values per block, an
/// IEEE half scale `d` at byte 0, value `i` = `d · code_i`. `codes` widens the 32 codes of one
/// block to float32 lanes (exact): with AVX2 intrinsics in the default x86-64 build, with the
/// portable CVector conversions (`LaneConversions.swift`) in the generic build (ARM64,
/// `SCOPE_GENERIC=1`). Both give the same floats, so the kernels' results are bit-identical.
protocol KVBlockFormat {
    /// Bytes per block.
    static var blockBytes: Int { get }
    /// Codes of values `0..<8`, `8..<16`, `16..<24`, `24..<32` of the block at `p`, as floats.
    static func codes(_ p: UnsafeRawPointer) -> BlockCodes
    /// Codes of values `8i..<8i+8` (i < 4) of the block at `p`: `codes(p).i`, widened alone.
    static func codes8(_ p: UnsafeRawPointer, _ i: Int) -> SIMD8<Float>
}

/// One block's 32 codes as floats, eight per vector in value order.
typealias BlockCodes = (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)

/// llama.cpp `q8_0`: `d`, then 32 signed bytes.
enum Q8_0Blocks: KVBlockFormat {
    static var blockBytes: Int { @inline(__always) get { 34 } }

    @inline(__always)
    static func codes(_ p: UnsafeRawPointer) -> BlockCodes { (codes8(p, 0), codes8(p, 1), codes8(p, 2), codes8(p, 3)) }

    @inline(__always)
    static func codes8(_ p: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        #if SCOPE_AVX2
        _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((p + 2 + 8 * i).assumingMemoryBound(to: __m128i.self))))
        #else
        int8Floats(p + 2 + 8 * i)
        #endif
    }
}

/// llama.cpp `q4_0`: `d`, then 16 bytes; byte `j` holds value `j` (low nibble) and `j + 16` (high
/// nibble) as `code + 8`.
enum Q4_0Blocks: KVBlockFormat {
    static var blockBytes: Int { @inline(__always) get { 18 } }

    /// One 16-byte load and one mask/shift for all four vectors (`codes8` loads per vector).
    @inline(__always)
    static func codes(_ p: UnsafeRawPointer) -> BlockCodes {
        let eight = SIMD8<Float>(repeating: 8)
        #if SCOPE_AVX2
        let raw = _mm_loadu_si128((p + 2).assumingMemoryBound(to: __m128i.self))
        let mask = _mm_set1_epi8(0x0F)
        let lo = _mm_and_si128(raw, mask), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask)
        @inline(__always) func widen(_ v: __m128i) -> SIMD8<Float> {
            _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v))
        }
        return (widen(lo) - eight, widen(_mm_unpackhi_epi64(lo, lo)) - eight,
                widen(hi) - eight, widen(_mm_unpackhi_epi64(hi, hi)) - eight)
        #else
        let a = p.loadUnaligned(fromByteOffset: 2, as: SIMD8<UInt8>.self)
        let b = p.loadUnaligned(fromByteOffset: 10, as: SIMD8<UInt8>.self)
        return (uint8Floats(a & 0x0F) - eight, uint8Floats(b & 0x0F) - eight,
                uint8Floats(a &>> 4) - eight, uint8Floats(b &>> 4) - eight)
        #endif
    }

    /// Values 0..<16 are the low nibbles of bytes 0..<16, values 16..<32 the high ones.
    @inline(__always)
    static func codes8(_ p: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        let eight = SIMD8<Float>(repeating: 8), o = 2 + 8 * (i & 1)
        #if SCOPE_AVX2
        let raw = _mm_loadl_epi64((p + o).assumingMemoryBound(to: __m128i.self))
        let nibbles = _mm_and_si128(i < 2 ? raw : _mm_srli_epi16(raw, 4), _mm_set1_epi8(0x0F))
        return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(nibbles)) - eight
        #else
        let a = p.loadUnaligned(fromByteOffset: o, as: SIMD8<UInt8>.self)
        return uint8Floats(i < 2 ? a & 0x0F : a &>> 4) - eight
        #endif
    }
}
