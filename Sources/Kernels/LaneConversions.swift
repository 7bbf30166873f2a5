import CVector
#if SCOPE_AVX2
import _Builtin_intrinsics.intel
#endif

// Loads and widenings shared by every build. The conversions go through CVector (one or
// two vector instructions each: vpmovsxbd/vpmovzxbd + vcvtdq2ps on x86-64, sshll/ushll + scvtf/ucvtf
// on ARM64); they are the building blocks of the generic kernels.

/// The IEEE half at byte offset `o`, widened to Float.
///
/// x86-64 builds (AVX2 and generic kernels alike: every x86-64 build targets Haswell, which has F16C)
/// convert through `scope_half_to_float` (no false dependency on an unrelated register, see
/// CVector.h); there `Float(Float16(bitPattern:))` lowers to `vpinsrw` into an arbitrary register.
/// Other targets (ARM64: one `fcvt`) use the standard conversion.
@inline(__always)
func halfAt(_ p: UnsafeRawPointer, _ o: Int) -> Float {
    #if arch(x86_64)
    scope_half_to_float(p.loadUnaligned(fromByteOffset: o, as: UInt16.self))
    #else
    Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
    #endif
}

#if SCOPE_AVX2
/// The IEEE halves at byte offsets `o` and `o + 2`, widened together (one 32-bit load, which
/// writes the whole register: no false dependency, see `halfAt`).
@inline(__always)
func halfPairAt(_ p: UnsafeRawPointer, _ o: Int) -> (Float, Float) {
    let v = _mm_cvtph_ps(_mm_cvtsi32_si128(Int32(bitPattern: p.loadUnaligned(fromByteOffset: o, as: UInt32.self))))
    return (_mm_cvtss_f32(v), _mm_cvtss_f32(_mm_movehdup_ps(v)))
}
#endif

/// The 8 signed bytes at `p` as floats.
@inline(__always)
func int8Floats(_ p: UnsafeRawPointer) -> SIMD8<Float> { scope_i8_to_f32(p.loadUnaligned(as: SIMD8<Int8>.self)) }

/// 8 signed bytes as floats.
@inline(__always)
func int8Floats(_ q: SIMD8<Int8>) -> SIMD8<Float> { scope_i8_to_f32(q) }

/// 8 unsigned bytes as floats.
@inline(__always)
func uint8Floats(_ q: SIMD8<UInt8>) -> SIMD8<Float> { scope_u8_to_f32(q) }

/// The 8 IEEE halves at byte offset `o` of `p` as floats.
@inline(__always)
func halfFloats(_ p: UnsafeRawPointer, _ o: Int) -> SIMD8<Float> {
    scope_f16_to_f32(p.loadUnaligned(fromByteOffset: o, as: SIMD8<UInt16>.self))
}

/// The 8 bfloat16 values at `p` as floats (each the upper half of a float32: exact).
@inline(__always)
func bf16Floats(_ p: UnsafeRawPointer) -> SIMD8<Float> {
    unsafeBitCast(scope_u16_to_u32(p.loadUnaligned(as: SIMD8<UInt16>.self)) &<< 16, to: SIMD8<Float>.self)
}
