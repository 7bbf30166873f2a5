#if SCOPE_AVX2
import _Builtin_intrinsics.intel

/// A 32-weight block format of the AVX2 float32 dot-product kernels (Q4_1, Q8_0): how one block is
/// read. The kernels (`RowDot.floatRows…`) are generic over it, so each format's block decoding is
/// written once and every row count (1, 2, 4) repeats the same per-row arithmetic. (With 8-bit
/// activations the kernels are `RowDot.dotQ4_1Q8`/`dotQ8_0Q8` and the packed ones, `PackedMatrix`.)
protocol WeightBlock {
    /// Bytes per block.
    static var size: Int { get }
    /// Whether a block adds a min term `m·Σx` (Q4_1).
    static var hasMin: Bool { get }
    /// The block's scale and min (0 without a min term).
    static func scaleAndMin(_ blk: UnsafeRawPointer) -> (d: Float, m: Float)
    /// The 32 weight codes as float32: elements 0..<8, 8..<16, 16..<24, 24..<32.
    static func floats(_ blk: UnsafeRawPointer) -> (__m256, __m256, __m256, __m256)
}

/// Q4_1: 20-byte blocks `d:f16, m:f16, qs[16]`; element j = lo(qs[j])·d + m, j+16 = hi(qs[j])·d + m.
enum Q4_1Block: WeightBlock {
    static var size: Int { 20 }
    static var hasMin: Bool { true }

    @inline(__always)
    static func scaleAndMin(_ blk: UnsafeRawPointer) -> (d: Float, m: Float) {
        halfPairAt(blk, 0)
    }

    /// The 16 code bytes are broadcast to both 128-bit lanes and split into nibbles once; an in-lane
    /// byte shuffle then zero-extends bytes 0–3 | 4–7 (or 8–11 | 12–15) into the eight 32-bit lanes.
    /// Same values in the same lanes as widening each quarter with `vpmovzxbd`, which crosses lanes
    /// and cost about 20% more per block (BENCHMARKS.md, exact decode).
    @inline(__always)
    static func floats(_ blk: UnsafeRawPointer) -> (__m256, __m256, __m256, __m256) {
        let mask = _mm256_set1_epi8(0x0F)
        let raw = _mm256_broadcastsi128_si256(_mm_loadu_si128((blk + 4).assumingMemoryBound(to: __m128i.self)))
        let lo = _mm256_and_si256(raw, mask), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), mask)
        let first = _mm256_setr_epi8(0, -1, -1, -1, 1, -1, -1, -1, 2, -1, -1, -1, 3, -1, -1, -1,
                                     4, -1, -1, -1, 5, -1, -1, -1, 6, -1, -1, -1, 7, -1, -1, -1)
        let second = _mm256_setr_epi8(8, -1, -1, -1, 9, -1, -1, -1, 10, -1, -1, -1, 11, -1, -1, -1,
                                      12, -1, -1, -1, 13, -1, -1, -1, 14, -1, -1, -1, 15, -1, -1, -1)
        return (_mm256_cvtepi32_ps(_mm256_shuffle_epi8(lo, first)), _mm256_cvtepi32_ps(_mm256_shuffle_epi8(lo, second)),
                _mm256_cvtepi32_ps(_mm256_shuffle_epi8(hi, first)), _mm256_cvtepi32_ps(_mm256_shuffle_epi8(hi, second)))
    }
}

/// Q8_0: 34-byte blocks `d:f16, qs:int8[32]`; value = qs·d.
enum Q8_0Block: WeightBlock {
    static var size: Int { 34 }
    static var hasMin: Bool { false }

    @inline(__always)
    static func scaleAndMin(_ blk: UnsafeRawPointer) -> (d: Float, m: Float) {
        (halfAt(blk, 0), 0)
    }

    @inline(__always)
    static func floats(_ blk: UnsafeRawPointer) -> (__m256, __m256, __m256, __m256) {
        let q0 = _mm_loadu_si128((blk + 2).assumingMemoryBound(to: __m128i.self))
        let q1 = _mm_loadu_si128((blk + 18).assumingMemoryBound(to: __m128i.self))
        return (_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q0)), _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(q0, q0))),
                _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q1)), _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(q1, q1))))
    }
}
#endif
