// Portable vector helpers for the generic (non-AVX2) kernels, in clang's vector extensions (no
// intrinsics: the same source compiles for x86-64 and ARM64). Swift imports the ext_vector types
// as SIMD8/SIMD16/SIMD32<…>.
//
// Why C: Swift's stdlib offers vector conversions only as generic per-lane loops
// (`SIMD8<Int32>(truncatingIfNeeded:)`, `SIMD8<Float>(_:)`), which the optimizer does not always
// inline into large kernels, and has no concrete even/odd lane shuffles. Here each conversion is
// one `__builtin_convertvector` (x86-64: vpmovsxbd, vcvtdq2ps, vcvtph2ps; ARM64: sshll, scvtf,
// fcvtl), and the 8-bit dot products give the same lane sums as x86's vpmaddubsw + vpmaddwd (so the
// generic and AVX2 q8 kernels agree bit for bit); LLVM selects vpmaddubsw for full-range bytes.
#ifndef SCOPE_CVECTOR_H
#define SCOPE_CVECTOR_H

#include <stdint.h>

typedef int8_t scope_i8x8 __attribute__((ext_vector_type(8)));
typedef uint8_t scope_u8x8 __attribute__((ext_vector_type(8)));
typedef int16_t scope_i16x8 __attribute__((ext_vector_type(8)));
typedef uint16_t scope_u16x8 __attribute__((ext_vector_type(8)));
typedef int32_t scope_i32x8 __attribute__((ext_vector_type(8)));
typedef uint32_t scope_u32x8 __attribute__((ext_vector_type(8)));
typedef float scope_f32x8 __attribute__((ext_vector_type(8)));
typedef _Float16 scope_f16x8 __attribute__((ext_vector_type(8)));
typedef uint8_t scope_u8x16 __attribute__((ext_vector_type(16)));
typedef int16_t scope_i16x16 __attribute__((ext_vector_type(16)));
typedef int32_t scope_i32x16 __attribute__((ext_vector_type(16)));
typedef int8_t scope_i8x32 __attribute__((ext_vector_type(32)));
typedef uint8_t scope_u8x32 __attribute__((ext_vector_type(32)));

#define SCOPE_V static inline __attribute__((always_inline))

// MARK: - Conversions (exact)

/// Signed bytes to floats.
SCOPE_V scope_f32x8 scope_i8_to_f32(scope_i8x8 v) { return __builtin_convertvector(v, scope_f32x8); }
/// Unsigned bytes to floats.
SCOPE_V scope_f32x8 scope_u8_to_f32(scope_u8x8 v) { return __builtin_convertvector(v, scope_f32x8); }
/// 32-bit integers to floats (exact below 2^24).
SCOPE_V scope_f32x8 scope_i32_to_f32(scope_i32x8 v) { return __builtin_convertvector(v, scope_f32x8); }
/// Zero-extends 16-bit integers to 32 bits.
SCOPE_V scope_u32x8 scope_u16_to_u32(scope_u16x8 v) { return __builtin_convertvector(v, scope_u32x8); }
/// IEEE halves (raw bits) to floats.
SCOPE_V scope_f32x8 scope_f16_to_f32(scope_u16x8 bits) {
    return __builtin_convertvector(__builtin_bit_cast(scope_f16x8, bits), scope_f32x8);
}

// MARK: - One half to float (x86-64)

#if defined(__x86_64__)
/// One IEEE half (raw bits) to float through a register written whole (`vmovd`, then `vcvtph2ps`;
/// F16C, so only for the AVX2 kernels). Why asm: for a scalar conversion LLVM emits `vpinsrw` into
/// whatever register it picks as the undefined upper lanes, and in a dot-product loop that was the
/// accumulator, so each block's scale load waited for the previous block's adds (a false
/// loop-carried dependency). Rewritten with intrinsics, LLVM folds the code back to `vpinsrw`.
SCOPE_V float scope_half_to_float(uint16_t bits) {
    float r;
    __asm__("vmovd %k1, %0\n\tvcvtph2ps %0, %0" : "=x"(r) : "r"((uint32_t)bits));
    return r;
}
#endif

// MARK: - 8-bit dot products

/// Lane i (0..<16) = w[2i]·a[2i] + w[2i+1]·a[2i+1] (unsigned × signed bytes), saturated to 16
/// bits. The clamp is what lets LLVM select vpmaddubsw on x86-64; the callers' sums never reach it
/// (|pair| ≤ 2·255·127 only for full-range bytes; Q4_1 nibbles give ≤ 2·15·127, |Q8_0| ≤ 2·128·127).
SCOPE_V scope_i16x16 scope_pairs_u8_i8(scope_u8x32 w, scope_i8x32 a) {
    scope_i32x16 p = __builtin_convertvector(w.even, scope_i32x16) * __builtin_convertvector(a.even, scope_i32x16)
                   + __builtin_convertvector(w.odd, scope_i32x16) * __builtin_convertvector(a.odd, scope_i32x16);
    const scope_i32x16 lo = -32768, hi = 32767;
    p = p < lo ? lo : p;
    p = p > hi ? hi : p;
    return __builtin_convertvector(p, scope_i16x16);
}

/// Adds the sign-extended 16-bit halves of each 32-bit lane: lane i = s[2i] + s[2i+1].
SCOPE_V scope_i32x8 scope_add_pairs(scope_i16x16 s) {
    scope_i32x8 t = __builtin_bit_cast(scope_i32x8, s);
    return ((t << 16) >> 16) + (t >> 16);
}

/// Lane i (0..<8) = Σ_{k<4} w[4i+k]·a[4i+k]: 32 unsigned bytes times 32 signed bytes, as long as
/// each adjacent pair's sum fits in 16 bits (see scope_pairs_u8_i8); the lane sums of x86's
/// vpmaddubsw + vpmaddwd. When LLVM can prove the weights small (4-bit nibbles) it drops the clamp
/// and emits 16-bit widening multiplies instead (x86-64 and ARM64 alike).
SCOPE_V scope_i32x8 scope_dot_u8_i8(scope_u8x32 w, scope_i8x32 a) {
    return scope_add_pairs(scope_pairs_u8_i8(w, a));
}

/// Lane i (0..<8) = Σ_{k<4} w[4i+k]·a[4i+k] for signed bytes, with a[j] ≠ −128: |w|·(a with w's
/// sign), the unsigned × signed form above.
SCOPE_V scope_i32x8 scope_dot_i8_i8(scope_i8x32 w, scope_i8x32 a) {
    scope_u8x32 magnitude = __builtin_bit_cast(scope_u8x32, w < 0 ? -w : w);
    scope_i8x32 signedA = w < 0 ? -a : a;
    return scope_dot_u8_i8(magnitude, signedA);
}

/// The 16 bytes' low nibbles in lanes 0..<16 and high nibbles in lanes 16..<32 (the Q4 layout).
SCOPE_V scope_u8x32 scope_nibbles(scope_u8x16 raw) {
    scope_u8x32 r;
    r.lo = raw & (uint8_t)0x0F;
    r.hi = raw >> 4;
    return r;
}

/// `v` unchanged, with its value range hidden from the optimizer. On x86-64, wrapping 4-bit nibbles
/// in it keeps LLVM from proving them below 16, so `scope_dot_u8_i8` keeps its clamp and becomes
/// vpmaddubsw + vpmaddwd (2 instructions per 32 bytes) instead of 16-bit widening multiplies
/// (about 8); the lane sums are the same. Elsewhere it is the identity: on ARM64 the widening
/// multiplies (umull/smlal) are the natural choice, and there is no vpmaddubsw to reach.
SCOPE_V scope_u8x32 scope_opaque_u8x32(scope_u8x32 v) {
#if defined(__x86_64__)
    // In two 16-byte halves: this header is also compiled without AVX (Swift's module import),
    // where an "x" register holds 16 bytes.
    scope_u8x16 lo = v.lo, hi = v.hi;
    __asm__("" : "+x"(lo));
    __asm__("" : "+x"(hi));
    v.lo = lo;
    v.hi = hi;
#endif
    return v;
}

#undef SCOPE_V
#endif
