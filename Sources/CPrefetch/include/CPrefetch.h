// Software prefetch for the kernels: clang's `__builtin_prefetch` (x86 `prefetcht0`/`prefetcht1`), which Swift
// cannot express. Hardware prefetchers stop at 4 KiB page boundaries; a matrix–vector product
// streams ~100 MB of weights per token, so the kernels prefetch a few rows ahead.
// Also the spin-wait hint (`pause`, `yield`), which Swift cannot express either.
#ifndef SCOPE_CPREFETCH_H
#define SCOPE_CPREFETCH_H

static inline __attribute__((always_inline)) void scope_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

/// Prefetches the cache line at `p` into the second-level cache (`prefetcht1` on x86).
static inline __attribute__((always_inline)) void scope_prefetch_l2(const void *p) {
    __builtin_prefetch(p, 0, 2);
}

/// Prefetches `bytes` bytes starting at `p`, one cache line (64 bytes) at a time.
static inline __attribute__((always_inline)) void scope_prefetch_range(const void *p, long bytes) {
    const char *c = (const char *)p;
    for (long i = 0; i < bytes; i += 64) __builtin_prefetch(c + i, 0, 3);
}

/// One step of a spin-wait: x86 `pause` (frees the core's pipeline for a sibling hyper-thread and
/// avoids a memory-order flush when the awaited store arrives), ARM `yield`; nothing elsewhere.
/// Used by the thread pool (Kernels/ThreadPool.swift), which times it once: its cost varies widely.
static inline __attribute__((always_inline)) void scope_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#endif
}

#endif
