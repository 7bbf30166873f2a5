import GGUF
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

// Shared machinery of the fused kernels for BF16, Q4_0, Q5_0, Q5_1 and the K-quants.
//
// Each quant format has one block decoder (RowDotLegacyQuants.swift, RowDotKQuants.swift) that turns
// a row into groups of 32 small integers held as int8 lanes of one AVX2 register, plus the float
// scale (and bias) of each half of the group: element value = q·scale (+ bias), exactly the
// reference dequantizer's arithmetic. A sink consumes the groups: `DotLanes` multiplies them with
// float32 activations (weights stay float32 in registers), `StoreLanes` writes the float32
// weights (bit-identical to GGUF.Dequantize). Without AVX2 the same entry points fall back to the
// scalar reference dequantizer, block by block.

extension RowDot {
    /// The types whose fused dot and fast dequantizer go through a lane decoder (`dotDecoded`).
    static func hasLaneDecoder(_ type: GGMLType) -> Bool {
        switch type {
        case .q4_0, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return true
        default: return false
        }
    }

    /// `Σ row[i]·x[i]` for a type with a lane decoder (`hasLaneDecoder`), weights expanded to
    /// float32 in registers.
    @inline(__always)
    static func dotDecoded(_ type: GGMLType, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ n: Int) -> Float {
        #if SCOPE_AVX2
        var sink = DotLanes(x)
        decode(type, row, n, &sink)
        return sink.total
        #else
        return dotViaReference(type, row, x, n)
        #endif
    }

    /// Dequantizes one row of a type with a lane decoder; bit-identical to `GGUF.Dequantize.row`.
    @inline(__always)
    static func dequantizeDecoded(_ type: GGMLType, _ row: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, _ n: Int) {
        #if SCOPE_AVX2
        var sink = StoreLanes(dst)
        decode(type, row, n, &sink)
        #else
        try! Dequantize.row(type, from: row, into: dst, count: n)
        #endif
    }

    /// Portable fused dot: dequantizes blocks of up to 256 elements with the scalar reference into a
    /// stack buffer and accumulates float dots (no caller scratch). Used when AVX2 is unavailable.
    static func dotViaReference(_ type: GGMLType, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ n: Int) -> Float {
        let chunk = max(256, type.blockSize)
        let chunkBytes = rowByteCount(type, elements: chunk)
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk) { buffer in
            var s: Float = 0
            var i = 0, offset = 0
            while i < n {
                let m = min(chunk, n - i)
                // Types and lengths were checked when the matrix was loaded; this cannot fail.
                try! Dequantize.row(type, from: row + offset, into: buffer.baseAddress!, count: m)
                s += dotF32(buffer.baseAddress!, x + i, m)
                i += m
                offset += chunkBytes
            }
            return s
        }
    }

    #if SCOPE_AVX2
    @inline(__always)
    static func decode<S: QuantLaneSink>(_ type: GGMLType, _ row: UnsafeRawPointer, _ n: Int, _ sink: inout S) {
        switch type {
        case .q4_0: decodeQ4_0(row, n, &sink)
        case .q5_0: decodeQ5_0(row, n, &sink)
        case .q5_1: decodeQ5_1(row, n, &sink)
        case .q2_K: decodeQ2_K(row, n, &sink)
        case .q3_K: decodeQ3_K(row, n, &sink)
        case .q4_K: decodeQ4_K(row, n, &sink)
        case .q5_K: decodeQ5_K(row, n, &sink)
        case .q6_K: decodeQ6_K(row, n, &sink)
        default: preconditionFailure("no lane decoder for \(type.name)")
        }
    }
    #endif
}

#if SCOPE_AVX2
/// A consumer of decoded groups of 32 weights.
protocol QuantLaneSink {
    /// Elements `offset ..< offset + 32` are `q[i]·s0` (lanes 0..<16) and `q[i]·s1` (lanes 16..<32),
    /// with `q` the 32 signed int8 lanes.
    mutating func put(_ q: __m256i, _ offset: Int, _ s0: Float, _ s1: Float)
    /// As `put`, with values `q[i]·s + b` (`b0` for lanes 0..<16, `b1` for 16..<32).
    mutating func putAffine(_ q: __m256i, _ offset: Int, _ s0: Float, _ b0: Float, _ s1: Float, _ b1: Float)
}

/// The four float32 vectors (8 lanes each) of 32 int8 lanes.
@inline(__always)
func laneFloats(_ q: __m256i) -> (__m256, __m256, __m256, __m256) {
    // The two 128-bit halves (a plain bit cast: SIMD32's lowHalf/highHalf are not always inlined).
    let (lo, hi) = unsafeBitCast(q, to: (__m128i, __m128i).self)
    return (_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)),
            _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(lo, lo))),
            _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)),
            _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(hi, hi))))
}

/// Accumulates `Σ w·x` over the decoded groups (four independent accumulators).
struct DotLanes: QuantLaneSink {
    let x: UnsafePointer<Float>
    var acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps()

    @inline(__always) init(_ x: UnsafePointer<Float>) { self.x = x }

    @inline(__always)
    mutating func put(_ q: __m256i, _ offset: Int, _ s0: Float, _ s1: Float) {
        let (f0, f1, f2, f3) = laneFloats(q)
        let xp = x + offset
        // Σ q·x per half, then one multiply by the half's scale.
        let t = _mm256_fmadd_ps(f1, _mm256_loadu_ps(xp + 8), _mm256_mul_ps(f0, _mm256_loadu_ps(xp)))
        let u = _mm256_fmadd_ps(f3, _mm256_loadu_ps(xp + 24), _mm256_mul_ps(f2, _mm256_loadu_ps(xp + 16)))
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(s0), t, acc0)
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(s1), u, acc1)
    }

    @inline(__always)
    mutating func putAffine(_ q: __m256i, _ offset: Int, _ s0: Float, _ b0: Float, _ s1: Float, _ b1: Float) {
        let (f0, f1, f2, f3) = laneFloats(q)
        let xp = x + offset
        let vs0 = _mm256_set1_ps(s0), vb0 = _mm256_set1_ps(b0), vs1 = _mm256_set1_ps(s1), vb1 = _mm256_set1_ps(b1)
        // The weights themselves (q·s + b, one rounding), times x.
        acc0 = _mm256_fmadd_ps(_mm256_fmadd_ps(f0, vs0, vb0), _mm256_loadu_ps(xp), acc0)
        acc1 = _mm256_fmadd_ps(_mm256_fmadd_ps(f1, vs0, vb0), _mm256_loadu_ps(xp + 8), acc1)
        acc2 = _mm256_fmadd_ps(_mm256_fmadd_ps(f2, vs1, vb1), _mm256_loadu_ps(xp + 16), acc2)
        acc3 = _mm256_fmadd_ps(_mm256_fmadd_ps(f3, vs1, vb1), _mm256_loadu_ps(xp + 24), acc3)
    }

    var total: Float {
        @inline(__always) get {
            _mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)).sum()
        }
    }
}

/// Writes the float32 weights: `q·s` and `q·s + b` rounded as the scalar reference does
/// (separate multiply and add, no fused multiply-add), so the result is bit-identical.
struct StoreLanes: QuantLaneSink {
    let dst: UnsafeMutablePointer<Float>

    @inline(__always) init(_ dst: UnsafeMutablePointer<Float>) { self.dst = dst }

    @inline(__always)
    mutating func put(_ q: __m256i, _ offset: Int, _ s0: Float, _ s1: Float) {
        let (f0, f1, f2, f3) = laneFloats(q)
        let y = dst + offset
        let vs0 = _mm256_set1_ps(s0), vs1 = _mm256_set1_ps(s1)
        _mm256_storeu_ps(y, _mm256_mul_ps(f0, vs0))
        _mm256_storeu_ps(y + 8, _mm256_mul_ps(f1, vs0))
        _mm256_storeu_ps(y + 16, _mm256_mul_ps(f2, vs1))
        _mm256_storeu_ps(y + 24, _mm256_mul_ps(f3, vs1))
    }

    @inline(__always)
    mutating func putAffine(_ q: __m256i, _ offset: Int, _ s0: Float, _ b0: Float, _ s1: Float, _ b1: Float) {
        let (f0, f1, f2, f3) = laneFloats(q)
        let y = dst + offset
        let vs0 = _mm256_set1_ps(s0), vb0 = _mm256_set1_ps(b0), vs1 = _mm256_set1_ps(s1), vb1 = _mm256_set1_ps(b1)
        _mm256_storeu_ps(y, _mm256_add_ps(_mm256_mul_ps(f0, vs0), vb0))
        _mm256_storeu_ps(y + 8, _mm256_add_ps(_mm256_mul_ps(f1, vs0), vb0))
        _mm256_storeu_ps(y + 16, _mm256_add_ps(_mm256_mul_ps(f2, vs1), vb1))
        _mm256_storeu_ps(y + 24, _mm256_add_ps(_mm256_mul_ps(f3, vs1), vb1))
    }
}

// MARK: - Byte helpers

/// The IEEE half at byte offset `o`, widened to Float.
@inline(__always)
func halfAt(_ p: UnsafeRawPointer, _ o: Int) -> Float {
    Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
}

/// 16 bytes at `p` (unaligned).
@inline(__always)
func load16(_ p: UnsafeRawPointer) -> __m128i { _mm_loadu_si128(p.assumingMemoryBound(to: __m128i.self)) }

/// 32 bytes at `p` (unaligned).
@inline(__always)
func load32(_ p: UnsafeRawPointer) -> __m256i { _mm256_loadu_si256(p.assumingMemoryBound(to: __m256i.self)) }

/// Every byte set to `v`.
@inline(__always)
func bytes(_ v: UInt8) -> __m256i { _mm256_set1_epi8(Int8(bitPattern: v)) }

/// Low nibbles of the 16 bytes at `p` in lanes 0..<16, high nibbles in lanes 16..<32 (the legacy
/// quants' element order).
@inline(__always)
func nibbles16(_ p: UnsafeRawPointer) -> __m256i {
    let raw = load16(p)
    let mask = _mm_set1_epi8(0x0F)
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), _mm_and_si128(raw, mask))
}

/// Byte i = 0xFF when bit i of `bits` is set, 0 otherwise (i in 0..<32).
@inline(__always)
func bitsToByteMask(_ bits: UInt32) -> __m256i {
    let v = _mm256_set1_epi32(Int32(bitPattern: bits))
    // Byte i takes byte i/8 of `bits`, then keeps bit i%8.
    let spread = _mm256_shuffle_epi8(v, _mm256_set_epi64x(0x0303_0303_0303_0303, 0x0202_0202_0202_0202,
                                                          0x0101_0101_0101_0101, 0))
    let select = _mm256_set1_epi64x(Int64(bitPattern: 0x8040_2010_0804_0201))
    return _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select)
}

/// Byte i = `value` where bit `bit` of byte i of `v` is set, 0 otherwise.
@inline(__always)
func bitToValue(_ v: __m256i, bit: Int, _ value: UInt8) -> __m256i {
    let m = bytes(UInt8(1) << UInt8(bit))
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(v, m), m), bytes(value))
}
#endif
