#if SCOPE_AVX2
import _Builtin_intrinsics.intel

/// A 32-weight block format of the AVX2 dot-product kernels (Q4_1, Q8_0): how one block is read.
/// The kernels (`RowDot.floatRows…`, `RowDot.q8Rows…`) are generic over it, so each format's block
/// decoding is written once and every row count (1, 2, 4, 8) repeats the same per-row arithmetic.
protocol WeightBlock {
    /// Bytes per block.
    static var size: Int { get }
    /// Whether a block adds a min term `m·Σx` (Q4_1).
    static var hasMin: Bool { get }
    /// The block's scale and min (0 without a min term).
    static func scaleAndMin(_ blk: UnsafeRawPointer) -> (d: Float, m: Float)
    /// The 32 weight codes as float32: elements 0..<8, 8..<16, 16..<24, 24..<32.
    static func floats(_ blk: UnsafeRawPointer) -> (__m256, __m256, __m256, __m256)
    /// The 32 weight codes as bytes, prepared once per block for `products`.
    static func bytes(_ blk: UnsafeRawPointer) -> BlockBytes
    /// Lane i = Σ over elements 4i..<4i+4 of code·q for 32 signed activation bytes `q`, as float32
    /// (exact: the integer sums fit in 24 bits).
    static func products(_ w: BlockBytes, _ q: __m256i) -> __m256
}

/// A block's codes for the integer kernels: `unsigned` goes into `vpmaddubsw` as is; `signs` carries
/// the signs of signed codes (Q8_0: `unsigned` = |code|, and the activations take the codes' signs).
struct BlockBytes {
    let unsigned: __m256i
    let signs: __m256i
}

extension WeightBlock {
    /// `vpmaddubsw` then `vpmaddwd` with ones: lane i sums bytes 4i..<4i+4 of `u·s`.
    @inline(__always)
    static func laneSums(_ u: __m256i, _ s: __m256i) -> __m256 {
        _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)))
    }
}

/// Q4_1: 20-byte blocks `d:f16, m:f16, qs[16]`; element j = lo(qs[j])·d + m, j+16 = hi(qs[j])·d + m.
enum Q4_1Block: WeightBlock {
    static var size: Int { 20 }
    static var hasMin: Bool { true }

    @inline(__always)
    static func scaleAndMin(_ blk: UnsafeRawPointer) -> (d: Float, m: Float) {
        halfPairAt(blk, 0)
    }

    /// The low nibbles (elements 0..<16) and high nibbles (16..<32) as bytes.
    @inline(__always)
    static func nibbles(_ blk: UnsafeRawPointer) -> (lo: __m128i, hi: __m128i) {
        let mask = _mm_set1_epi8(0x0F)
        let raw = _mm_loadu_si128((blk + 4).assumingMemoryBound(to: __m128i.self))
        return (_mm_and_si128(raw, mask), _mm_and_si128(_mm_srli_epi16(raw, 4), mask))
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

    @inline(__always)
    static func bytes(_ blk: UnsafeRawPointer) -> BlockBytes {
        let w = unsafeBitCast(nibbles(blk), to: __m256i.self)
        return BlockBytes(unsigned: w, signs: w)
    }

    /// Unsigned nibbles × signed activations.
    @inline(__always)
    static func products(_ w: BlockBytes, _ q: __m256i) -> __m256 { laneSums(w.unsigned, q) }
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

    @inline(__always)
    static func bytes(_ blk: UnsafeRawPointer) -> BlockBytes {
        let w = unsafeBitCast(blk.loadUnaligned(fromByteOffset: 2, as: SIMD32<Int8>.self), to: __m256i.self)
        return BlockBytes(unsigned: _mm256_sign_epi8(w, w), signs: w)
    }

    /// Signed × signed via the sign trick: |w| × (q with w's sign); activations are never −128.
    @inline(__always)
    static func products(_ w: BlockBytes, _ q: __m256i) -> __m256 { laneSums(w.unsigned, _mm256_sign_epi8(q, w.signs)) }
}
#endif
