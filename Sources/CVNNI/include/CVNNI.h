// Kernels for x86-64 CPUs with AVX-512 VNNI (Intel Ice Lake and later, AMD Zen 4 and later), chosen
// at run time: the default build targets Haswell (AVX2), and Swift cannot compile one function for
// a wider instruction set, so these few are C with a per-function target attribute. Each computes
// exactly what the AVX2 Swift kernel it replaces computes (see the Swift caller).
#ifndef SCOPE_CVNNI_H
#define SCOPE_CVNNI_H

#include <stdint.h>

/// Whether this CPU runs the kernels below (AVX-512 VNNI and VL, checked once by the caller).
int scope_cpu_has_vnni(void);

/// Q4_1 × 8-bit activations over the packed eight-row layout (`Q4_1Packed` in Kernels): groups
/// `g0..<g1` of eight weight rows (`nb` blocks of 160 bytes each per group) times `tokens`
/// activation rows starting at `first` (codes `aq`, `nb` scales and sums per row); row i of token t
/// goes to `y[t * yStride + i]`. The integer dot of each block is `vpdpbusd` (exact, as
/// `vpmaddubsw` + `vpmaddwd` are); the float steps are the Swift kernel's. Up to eight tokens share
/// one load and unpack of a block; the next blocks are prefetched 2 KiB ahead.
void scope_q4_1_packed_vnni(const uint8_t *packed, long nb, long g0, long g1, const int8_t *aq,
                            const float *scales, const float *sums, long first, long tokens,
                            float *y, long yStride);

/// Q8_0 × 8-bit activations over the packed eight-row layout (`Q8_0Packed`): as above, with
/// `vpdpbusd(|w|, a·sign(w))` per chunk and no min term.
void scope_q8_0_packed_vnni(const uint8_t *packed, long nb, long g0, long g1, const int8_t *aq,
                            const float *scales, long first, long tokens, float *y, long yStride);

#endif
