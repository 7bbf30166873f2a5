// Software prefetch for the kernels: clang's `__builtin_prefetch` (x86 `prefetcht0`/`prefetcht1`), which Swift
// cannot express. Hardware prefetchers stop at 4 KiB page boundaries; a matrix–vector product
// streams ~100 MB of weights per token, so the kernels prefetch a few rows ahead.
// Also the spin-wait hint (`pause`, `yield`), which Swift cannot express either.
#ifndef SCOPE_CPREFETCH_H
#define SCOPE_CPREFETCH_H

/// Prefetches every 64-byte line holding one of the `bytes` bytes at `p` (the first line may start
/// before `p`), with `__builtin_prefetch` intent `rw` (a constant: 0 = read, 1 = write) and
/// locality `locality` (a constant: 3 = all levels, 2 = from the second level out).
#define SCOPE_PREFETCH_LINES(p, bytes, rw, locality)                                              \
    do {                                                                                          \
        const char *end_ = (const char *)(p) + (bytes);                                           \
        for (const char *c_ = (const char *)((unsigned long)(p) & ~63UL); c_ < end_; c_ += 64)    \
            __builtin_prefetch(c_, rw, locality);                                                 \
    } while (0)

/// Prefetches the lines of `bytes` bytes at `p` into every cache level (x86 `prefetcht0`).
static inline __attribute__((always_inline)) void scope_prefetch_range(const void *p, long bytes) {
    SCOPE_PREFETCH_LINES(p, bytes, 0, 3);
}

/// Prefetches the lines of `bytes` bytes at `p` into the second-level cache (x86 `prefetcht1`), for
/// data wanted soon but not before the first level's current contents.
static inline __attribute__((always_inline)) void scope_prefetch_range_l2(const void *p, long bytes) {
    SCOPE_PREFETCH_LINES(p, bytes, 0, 2);
}

/// Prefetches the lines of `bytes` bytes at `p` for stores into lines not yet in cache: a write-intent
/// hint, `prefetchw` where the target has it; this package's x86-64 builds do not enable it, so there
/// it is `prefetcht0` (the line is fetched into every level, shared).
static inline __attribute__((always_inline)) void scope_prefetch_range_write(const void *p, long bytes) {
    SCOPE_PREFETCH_LINES(p, bytes, 1, 3);
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
