#include "CVNNI.h"

#if defined(__x86_64__)
#include <immintrin.h>

int scope_cpu_has_vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

#define SCOPE_VNNI __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512vnni")))

/// Lane r = row r's exact integer dot of one packed block (chunks `c0..c3`) with the 32 codes at `q`:
/// each of the eight nibble vectors times its four activation bytes broadcast to every lane.
SCOPE_VNNI static inline __m256i block_dot(__m256i c0, __m256i c1, __m256i c2, __m256i c3, const int8_t *q) {
    const __m256i mask = _mm256_set1_epi8(0x0F);
    int32_t w[8];
    __builtin_memcpy(w, q, 32);
    __m256i acc = _mm256_setzero_si256();
    acc = _mm256_dpbusd_epi32(acc, _mm256_and_si256(c0, mask), _mm256_set1_epi32(w[0]));
    acc = _mm256_dpbusd_epi32(acc, _mm256_and_si256(c1, mask), _mm256_set1_epi32(w[1]));
    acc = _mm256_dpbusd_epi32(acc, _mm256_and_si256(c2, mask), _mm256_set1_epi32(w[2]));
    acc = _mm256_dpbusd_epi32(acc, _mm256_and_si256(c3, mask), _mm256_set1_epi32(w[3]));
    acc = _mm256_dpbusd_epi32(acc, _mm256_and_si256(_mm256_srli_epi16(c0, 4), mask), _mm256_set1_epi32(w[4]));
    acc = _mm256_dpbusd_epi32(acc, _mm256_and_si256(_mm256_srli_epi16(c1, 4), mask), _mm256_set1_epi32(w[5]));
    acc = _mm256_dpbusd_epi32(acc, _mm256_and_si256(_mm256_srli_epi16(c2, 4), mask), _mm256_set1_epi32(w[6]));
    acc = _mm256_dpbusd_epi32(acc, _mm256_and_si256(_mm256_srli_epi16(c3, 4), mask), _mm256_set1_epi32(w[7]));
    return acc;
}

SCOPE_VNNI void scope_q4_1_packed_vnni(const uint8_t *packed, long nb, long g0, long g1, const int8_t *aq,
                                       const float *scales, const float *sums, long first, long tokens,
                                       float *y, long yStride) {
    for (long g = g0; g < g1; g++) {
        const uint8_t *base = packed + g * nb * 160;
        for (long t = 0; t < tokens; t += 2) {
            const int pair = t + 1 < tokens;
            const long t0 = first + t, t1 = pair ? t0 + 1 : t0;
            const int8_t *q0 = aq + t0 * nb * 32, *q1 = aq + t1 * nb * 32;
            const float *sc0 = scales + t0 * nb, *sc1 = scales + t1 * nb, *su0 = sums + t0 * nb, *su1 = sums + t1 * nb;
            __m256 acc0 = _mm256_setzero_ps(), min0 = _mm256_setzero_ps();
            __m256 acc1 = _mm256_setzero_ps(), min1 = _mm256_setzero_ps();
            for (long b = 0; b < nb; b++) {
                const uint8_t *p = base + b * 160;
                const __m256i c0 = _mm256_loadu_si256((const __m256i *)(p + 32)), c1 = _mm256_loadu_si256((const __m256i *)(p + 64));
                const __m256i c2 = _mm256_loadu_si256((const __m256i *)(p + 96)), c3 = _mm256_loadu_si256((const __m256i *)(p + 128));
                const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
                const __m256 m = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 16)));
                acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(block_dot(c0, c1, c2, c3, q0 + 32 * b)), _mm256_mul_ps(d, _mm256_set1_ps(sc0[b])), acc0);
                min0 = _mm256_fmadd_ps(m, _mm256_set1_ps(su0[b]), min0);
                if (pair) {
                    acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(block_dot(c0, c1, c2, c3, q1 + 32 * b)), _mm256_mul_ps(d, _mm256_set1_ps(sc1[b])), acc1);
                    min1 = _mm256_fmadd_ps(m, _mm256_set1_ps(su1[b]), min1);
                }
            }
            _mm256_storeu_ps(y + t * yStride + 8 * g, _mm256_add_ps(acc0, min0));
            if (pair) _mm256_storeu_ps(y + (t + 1) * yStride + 8 * g, _mm256_add_ps(acc1, min1));
        }
    }
}

/// Lane r = row r's exact integer dot of one packed Q8_0 block at `p` with the 32 codes at `q`.
SCOPE_VNNI static inline __m256i block_dot_q8_0(const uint8_t *p, const int8_t *q) {
    int32_t w[8];
    __builtin_memcpy(w, q, 32);
    __m256i acc = _mm256_setzero_si256();
    for (int j = 0; j < 8; j++) {
        const __m256i c = _mm256_loadu_si256((const __m256i *)(p + 16 + 32 * j));
        acc = _mm256_dpbusd_epi32(acc, _mm256_abs_epi8(c), _mm256_sign_epi8(_mm256_set1_epi32(w[j]), c));
    }
    return acc;
}

SCOPE_VNNI void scope_q8_0_packed_vnni(const uint8_t *packed, long nb, long g0, long g1, const int8_t *aq,
                                       const float *scales, long first, long tokens, float *y, long yStride) {
    for (long g = g0; g < g1; g++) {
        const uint8_t *base = packed + g * nb * 272;
        for (long t = 0; t < tokens; t += 2) {
            const int pair = t + 1 < tokens;
            const long t0 = first + t, t1 = pair ? t0 + 1 : t0;
            const int8_t *q0 = aq + t0 * nb * 32, *q1 = aq + t1 * nb * 32;
            const float *sc0 = scales + t0 * nb, *sc1 = scales + t1 * nb;
            __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
            for (long b = 0; b < nb; b++) {
                const uint8_t *p = base + b * 272;
                const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
                acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(block_dot_q8_0(p, q0 + 32 * b)), _mm256_mul_ps(d, _mm256_set1_ps(sc0[b])), acc0);
                if (pair)
                    acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(block_dot_q8_0(p, q1 + 32 * b)), _mm256_mul_ps(d, _mm256_set1_ps(sc1[b])), acc1);
            }
            _mm256_storeu_ps(y + t * yStride + 8 * g, acc0);
            if (pair) _mm256_storeu_ps(y + (t + 1) * yStride + 8 * g, acc1);
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
