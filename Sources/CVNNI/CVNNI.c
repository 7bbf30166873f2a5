#include "CVNNI.h"

#if defined(__x86_64__)
#include <immintrin.h>

int scope_cpu_has_vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

#define SCOPE_VNNI __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512vnni")))

#define SCOPE_INLINE __attribute__((always_inline)) static inline
#define UNROLL _Pragma("clang loop unroll(full)")

/// Tokens per pass over a block: the block's code vectors are loaded and unpacked once and stay in
/// registers (AVX-512 gives 32) while each token of the tile uses them.
enum { TILE = 8 };

/// Bytes ahead of the current block that the kernels prefetch: a thread's share of a decode matrix
/// is a few hundred kilobytes read once, and hardware prefetchers stop at 4 KiB pages.
enum { PREFETCH_BYTES = 2048 };

/// Prefetches the lines of the `bytes`-byte block at `p` + PREFETCH_BYTES.
SCOPE_INLINE void prefetch_ahead(const uint8_t *p, const int bytes) {
    UNROLL
    for (int o = 0; o < bytes + 63; o += 64) __builtin_prefetch(p + PREFETCH_BYTES + o, 0, 3);
}

/// Runs `TILE_CALL(n)` with the constant n = min(remaining, TILE), so each width gets its own
/// fully unrolled code (accumulators in registers).
#define DISPATCH_TILE(remaining)                                          \
    switch (remaining) {                                                  \
    case 1: TILE_CALL(1); break;                                          \
    case 2: TILE_CALL(2); break;                                          \
    case 3: TILE_CALL(3); break;                                          \
    case 4: TILE_CALL(4); break;                                          \
    case 5: TILE_CALL(5); break;                                          \
    case 6: TILE_CALL(6); break;                                          \
    case 7: TILE_CALL(7); break;                                          \
    default: TILE_CALL(TILE); break;                                      \
    }

/// Lane r = row r's exact integer dot of one block: `v[j]` (row r's codes in lane r, four per lane)
/// times the four activation bytes of `q` at 4j broadcast to every lane, j < 8. Two accumulators
/// halve the `vpdpbusd` dependency chain; integer sums are exact in any order.
SCOPE_VNNI SCOPE_INLINE __m256i lane_dots(const __m256i *v, const int8_t *q) {
    int32_t w[8];
    __builtin_memcpy(w, q, 32);
    __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
    UNROLL
    for (int j = 0; j < 8; j += 2) {
        s0 = _mm256_dpbusd_epi32(s0, v[j], _mm256_set1_epi32(w[j]));
        s1 = _mm256_dpbusd_epi32(s1, v[j + 1], _mm256_set1_epi32(w[j + 1]));
    }
    return _mm256_add_epi32(s0, s1);
}

/// Group `base` (eight rows, `nb` blocks) times tokens `t0..<t0+n` (n ≤ TILE), into `y`. The min
/// terms get their own pass over the blocks (same order, so the same sums), which keeps the main
/// pass's accumulators, code vectors and dot temporaries (nearly) within the 32 vector registers.
SCOPE_VNNI SCOPE_INLINE void q4_1_tile(const uint8_t *base, long nb, const int8_t *aq, const float *scales,
                                       const float *sums, long t0, const int n, float *y, long yStride) {
    const __m256i mask = _mm256_set1_epi8(0x0F);
    __m256 acc[TILE], mins[TILE];
    UNROLL
    for (int i = 0; i < n; i++) { acc[i] = _mm256_setzero_ps(); mins[i] = _mm256_setzero_ps(); }
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = base + b * 160;
        prefetch_ahead(p, 160);
        __m256i v[8];
        UNROLL
        for (int j = 0; j < 4; j++) {
            const __m256i c = _mm256_loadu_si256((const __m256i *)(p + 32 + 32 * j));
            v[j] = _mm256_and_si256(c, mask);                              // values 4j..<4j+4
            v[4 + j] = _mm256_and_si256(_mm256_srli_epi16(c, 4), mask);    // values 16+4j..<16+4j+4
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
        UNROLL
        for (int i = 0; i < n; i++) {
            const long t = t0 + i;
            const __m256i dot = lane_dots(v, aq + (t * nb + b) * 32);
            acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(d, _mm256_set1_ps(scales[t * nb + b])), acc[i]);
        }
    }
    for (long b = 0; b < nb; b++) {
        const __m256 m = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(base + b * 160 + 16)));
        UNROLL
        for (int i = 0; i < n; i++) mins[i] = _mm256_fmadd_ps(m, _mm256_set1_ps(sums[(t0 + i) * nb + b]), mins[i]);
    }
    UNROLL
    for (int i = 0; i < n; i++) _mm256_storeu_ps(y + i * yStride, _mm256_add_ps(acc[i], mins[i]));
}

SCOPE_VNNI void scope_q4_1_packed_vnni(const uint8_t *packed, long nb, long g0, long g1, const int8_t *aq,
                                       const float *scales, const float *sums, long first, long tokens,
                                       float *y, long yStride) {
    for (long g = g0; g < g1; g++) {
        const uint8_t *base = packed + g * nb * 160;
        for (long t = 0; t < tokens; t += TILE) {
            float *out = y + t * yStride + 8 * g;
#define TILE_CALL(n) q4_1_tile(base, nb, aq, scales, sums, first + t, n, out, yStride)
            DISPATCH_TILE(tokens - t)
#undef TILE_CALL
        }
    }
}

/// As `q4_1_tile` for Q8_0 (272-byte blocks, no min term): `vpdpbusd(|w|, a·sign(w))` per chunk.
SCOPE_VNNI SCOPE_INLINE void q8_0_tile(const uint8_t *base, long nb, const int8_t *aq, const float *scales,
                                       long t0, const int n, float *y, long yStride) {
    __m256 acc[TILE];
    UNROLL
    for (int i = 0; i < n; i++) acc[i] = _mm256_setzero_ps();
    for (long b = 0; b < nb; b++) {
        const uint8_t *p = base + b * 272;
        prefetch_ahead(p, 272);
        __m256i c[8], mag[8];
        UNROLL
        for (int j = 0; j < 8; j++) {
            c[j] = _mm256_loadu_si256((const __m256i *)(p + 16 + 32 * j));
            mag[j] = _mm256_abs_epi8(c[j]);
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
        UNROLL
        for (int i = 0; i < n; i++) {
            const long t = t0 + i;
            int32_t w[8];
            __builtin_memcpy(w, aq + (t * nb + b) * 32, 32);
            __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
            UNROLL
            for (int j = 0; j < 8; j += 2) {
                s0 = _mm256_dpbusd_epi32(s0, mag[j], _mm256_sign_epi8(_mm256_set1_epi32(w[j]), c[j]));
                s1 = _mm256_dpbusd_epi32(s1, mag[j + 1], _mm256_sign_epi8(_mm256_set1_epi32(w[j + 1]), c[j + 1]));
            }
            const __m256i dot = _mm256_add_epi32(s0, s1);
            acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(d, _mm256_set1_ps(scales[t * nb + b])), acc[i]);
        }
    }
    UNROLL
    for (int i = 0; i < n; i++) _mm256_storeu_ps(y + i * yStride, acc[i]);
}

SCOPE_VNNI void scope_q8_0_packed_vnni(const uint8_t *packed, long nb, long g0, long g1, const int8_t *aq,
                                       const float *scales, long first, long tokens, float *y, long yStride) {
    for (long g = g0; g < g1; g++) {
        const uint8_t *base = packed + g * nb * 272;
        for (long t = 0; t < tokens; t += TILE) {
            float *out = y + t * yStride + 8 * g;
#define TILE_CALL(n) q8_0_tile(base, nb, aq, scales, first + t, n, out, yStride)
            DISPATCH_TILE(tokens - t)
#undef TILE_CALL
        }
    }
}

#else
int scope_cpu_has_vnni(void) { return 0; }
void scope_q8_0_packed_vnni(const uint8_t *packed, long nb, long g0, long g1, const int8_t *aq,
                            const float *scales, long first, long tokens, float *y, long yStride) {
    (void)packed; (void)nb; (void)g0; (void)g1; (void)aq; (void)scales; (void)first; (void)tokens; (void)y; (void)yStride;
    __builtin_trap();   // never called: scope_cpu_has_vnni() is 0 here
}
void scope_q4_1_packed_vnni(const uint8_t *packed, long nb, long g0, long g1, const int8_t *aq,
                            const float *scales, const float *sums, long first, long tokens,
                            float *y, long yStride) {
    (void)packed; (void)nb; (void)g0; (void)g1; (void)aq; (void)scales; (void)sums; (void)first; (void)tokens;
    (void)y; (void)yStride;
    __builtin_trap();   // never called: scope_cpu_has_vnni() is 0 here
}
#endif
