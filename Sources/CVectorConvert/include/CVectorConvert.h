// Lane-wise widenings and int→float conversions of 8-lane vectors, for the generic (non-AVX2)
// kernels. Swift's stdlib offers these conversions only as generic per-lane loops
// (`SIMD8<Int32>(truncatingIfNeeded:)`, `SIMD8<Float>(_:)`), which the optimizer does not always
// inline into large kernels; these always-inline clang vector conversions (`__builtin_convertvector`)
// are single instructions on x86-64 (vpmovsxbd, vcvtdq2ps, vcvtph2ps) and ARM64 (sshll, scvtf,
// fcvtl). Swift imports the ext_vector types as SIMD8<…>.
#ifndef SCOPE_CVECTORCONVERT_H
#define SCOPE_CVECTORCONVERT_H

#include <stdint.h>

typedef int8_t scope_i8x8 __attribute__((ext_vector_type(8)));
typedef uint8_t scope_u8x8 __attribute__((ext_vector_type(8)));
typedef int16_t scope_i16x8 __attribute__((ext_vector_type(8)));
typedef uint16_t scope_u16x8 __attribute__((ext_vector_type(8)));
typedef int32_t scope_i32x8 __attribute__((ext_vector_type(8)));
typedef uint32_t scope_u32x8 __attribute__((ext_vector_type(8)));
typedef float scope_f32x8 __attribute__((ext_vector_type(8)));
typedef _Float16 scope_f16x8 __attribute__((ext_vector_type(8)));

#define SCOPE_VC static inline __attribute__((always_inline))

/// Signed bytes to floats (exact).
SCOPE_VC scope_f32x8 scope_i8_to_f32(scope_i8x8 v) { return __builtin_convertvector(v, scope_f32x8); }
/// Unsigned bytes to floats (exact).
SCOPE_VC scope_f32x8 scope_u8_to_f32(scope_u8x8 v) { return __builtin_convertvector(v, scope_f32x8); }
/// 32-bit integers to floats (exact below 2^24).
SCOPE_VC scope_f32x8 scope_i32_to_f32(scope_i32x8 v) { return __builtin_convertvector(v, scope_f32x8); }
/// Sign-extends bytes to 16 bits.
SCOPE_VC scope_i16x8 scope_i8_to_i16(scope_i8x8 v) { return __builtin_convertvector(v, scope_i16x8); }
/// Zero-extends bytes to 16 bits.
SCOPE_VC scope_i16x8 scope_u8_to_i16(scope_u8x8 v) { return __builtin_convertvector(v, scope_i16x8); }
/// Sign-extends 16-bit integers to 32 bits.
SCOPE_VC scope_i32x8 scope_i16_to_i32(scope_i16x8 v) { return __builtin_convertvector(v, scope_i32x8); }
/// Zero-extends 16-bit integers to 32 bits.
SCOPE_VC scope_u32x8 scope_u16_to_u32(scope_u16x8 v) { return __builtin_convertvector(v, scope_u32x8); }
/// IEEE halves (raw bits) to floats (exact).
SCOPE_VC scope_f32x8 scope_f16_to_f32(scope_u16x8 bits) {
    return __builtin_convertvector(__builtin_bit_cast(scope_f16x8, bits), scope_f32x8);
}

#undef SCOPE_VC
#endif
