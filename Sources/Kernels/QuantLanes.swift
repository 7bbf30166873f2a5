import GGUF
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

// Shared machinery of the fused kernels for Q4_0, Q5_0, Q5_1 and the K-quants.
//
// Each quant format has one block decoder that turns a row into groups of 32 small integers held
// as int8 lanes (`QuantLanes`: one AVX2 register, or two 16-byte Swift SIMD vectors in the generic
// build), plus the float scale (and bias) of each half of the group: element value = q·scale
// (+ bias), exactly the reference dequantizer's arithmetic. A sink consumes the groups: `DotLanes`
// multiplies them with float32 activations (weights stay float32 in registers), `StoreLanes` writes
// the float32 weights (bit-identical to GGUF.Dequantize). The decoders exist twice: with AVX2
// intrinsics (RowDotLegacyQuants.swift, RowDotKQuants.swift) and with Swift SIMD types
// (GenericLaneDecoders.swift, what ARM64 and the SCOPE_PORTABLE/SCOPE_GENERIC builds run); the
// sinks are written once.

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
        var sink = DotLanes(x)
        decode(type, row, n, &sink)
        return sink.total
    }

    /// Dequantizes one row of a type with a lane decoder; bit-identical to `GGUF.Dequantize.row`.
    @inline(__always)
    static func dequantizeDecoded(_ type: GGMLType, _ row: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, _ n: Int) {
        var sink = StoreLanes(dst)
        decode(type, row, n, &sink)
    }

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
}

#if SCOPE_AVX2
/// 32 int8 lanes in one AVX2 register.
typealias QuantLanes = __m256i

/// The four float32 vectors (8 lanes each) of 32 int8 lanes.
@inline(__always)
func laneFloats(_ q: __m256i) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
    // The two 128-bit halves (a plain bit cast: SIMD32's lowHalf/highHalf are not always inlined).
    let (lo, hi) = unsafeBitCast(q, to: (__m128i, __m128i).self)
    return (_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)),
            _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(lo, lo))),
            _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)),
            _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(hi, hi))))
}
#else
/// 32 int8 lanes as two 16-byte vectors (one NEON register each on ARM64): lanes 0..<16 in `lo`,
/// 16..<32 in `hi`.
struct QuantLanes {
    var lo: SIMD16<Int8>
    var hi: SIMD16<Int8>

    /// Lanes from unsigned bytes (values < 128, or wrapped on purpose), reinterpreted as int8.
    @inline(__always)
    init(_ lo: SIMD16<UInt8>, _ hi: SIMD16<UInt8>) {
        self.lo = unsafeBitCast(lo, to: SIMD16<Int8>.self)
        self.hi = unsafeBitCast(hi, to: SIMD16<Int8>.self)
    }
}

/// The four float32 vectors (8 lanes each) of 32 int8 lanes.
@inline(__always)
func laneFloats(_ q: QuantLanes) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
    // 8-byte halves by bit cast (lowHalf/highHalf are not always inlined).
    let (a, b) = unsafeBitCast(q.lo, to: (SIMD8<Int8>, SIMD8<Int8>).self)
    let (c, d) = unsafeBitCast(q.hi, to: (SIMD8<Int8>, SIMD8<Int8>).self)
    return (int8Floats(a), int8Floats(b), int8Floats(c), int8Floats(d))
}
#endif

/// A consumer of decoded groups of 32 weights.
protocol QuantLaneSink {
    /// Elements `offset ..< offset + 32` are `q[i]·s0` (lanes 0..<16) and `q[i]·s1` (lanes 16..<32),
    /// with `q` the 32 signed int8 lanes.
    mutating func put(_ q: QuantLanes, _ offset: Int, _ s0: Float, _ s1: Float)
    /// As `put`, with values `q[i]·s + b` (`b0` for lanes 0..<16, `b1` for 16..<32).
    mutating func putAffine(_ q: QuantLanes, _ offset: Int, _ s0: Float, _ b0: Float, _ s1: Float, _ b1: Float)
}

/// Accumulates `Σ w·x` over the decoded groups (four independent accumulators).
struct DotLanes: QuantLaneSink {
    let x: UnsafeRawPointer
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()

    @inline(__always) init(_ x: UnsafePointer<Float>) { self.x = UnsafeRawPointer(x) }

    @inline(__always)
    func x8(_ offset: Int, _ k: Int) -> SIMD8<Float> { x.loadUnaligned(fromByteOffset: 4 * (offset + 8 * k), as: SIMD8<Float>.self) }

    @inline(__always)
    mutating func put(_ q: QuantLanes, _ offset: Int, _ s0: Float, _ s1: Float) {
        let (f0, f1, f2, f3) = laneFloats(q)
        // Σ q·x per half, then one multiply by the half's scale.
        let t = (f0 * x8(offset, 0)).addingProduct(f1, x8(offset, 1))
        let u = (f2 * x8(offset, 2)).addingProduct(f3, x8(offset, 3))
        acc0.addProduct(SIMD8(repeating: s0), t)
        acc1.addProduct(SIMD8(repeating: s1), u)
    }

    @inline(__always)
    mutating func putAffine(_ q: QuantLanes, _ offset: Int, _ s0: Float, _ b0: Float, _ s1: Float, _ b1: Float) {
        let (f0, f1, f2, f3) = laneFloats(q)
        let vs0 = SIMD8<Float>(repeating: s0), vb0 = SIMD8<Float>(repeating: b0)
        let vs1 = SIMD8<Float>(repeating: s1), vb1 = SIMD8<Float>(repeating: b1)
        // The weights themselves (q·s + b, one rounding), times x.
        acc0.addProduct(vb0.addingProduct(f0, vs0), x8(offset, 0))
        acc1.addProduct(vb0.addingProduct(f1, vs0), x8(offset, 1))
        acc2.addProduct(vb1.addingProduct(f2, vs1), x8(offset, 2))
        acc3.addProduct(vb1.addingProduct(f3, vs1), x8(offset, 3))
    }

    var total: Float {
        @inline(__always) get { ((acc0 + acc1) + (acc2 + acc3)).sum() }
    }
}

/// Writes the float32 weights: `q·s` and `q·s + b` rounded as the scalar reference does
/// (separate multiply and add, no fused multiply-add), so the result is bit-identical.
struct StoreLanes: QuantLaneSink {
    let dst: UnsafeMutableRawPointer

    @inline(__always) init(_ dst: UnsafeMutablePointer<Float>) { self.dst = UnsafeMutableRawPointer(dst) }

    @inline(__always)
    func store(_ v: SIMD8<Float>, _ offset: Int, _ k: Int) {
        dst.storeBytes(of: v, toByteOffset: 4 * (offset + 8 * k), as: SIMD8<Float>.self)
    }

    @inline(__always)
    mutating func put(_ q: QuantLanes, _ offset: Int, _ s0: Float, _ s1: Float) {
        let (f0, f1, f2, f3) = laneFloats(q)
        let vs0 = SIMD8<Float>(repeating: s0), vs1 = SIMD8<Float>(repeating: s1)
        store(f0 * vs0, offset, 0)
        store(f1 * vs0, offset, 1)
        store(f2 * vs1, offset, 2)
        store(f3 * vs1, offset, 3)
    }

    @inline(__always)
    mutating func putAffine(_ q: QuantLanes, _ offset: Int, _ s0: Float, _ b0: Float, _ s1: Float, _ b1: Float) {
        let (f0, f1, f2, f3) = laneFloats(q)
        let vs0 = SIMD8<Float>(repeating: s0), vb0 = SIMD8<Float>(repeating: b0)
        let vs1 = SIMD8<Float>(repeating: s1), vb1 = SIMD8<Float>(repeating: b1)
        store(f0 * vs0 + vb0, offset, 0)
        store(f1 * vs0 + vb0, offset, 1)
        store(f2 * vs1 + vb1, offset, 2)
        store(f3 * vs1 + vb1, offset, 3)
    }
}

#if SCOPE_AVX2
// MARK: - Byte helpers

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
