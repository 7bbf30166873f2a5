#ifndef SCOPE_CFUZZDRIVER_H
#define SCOPE_CFUZZDRIVER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, LLVM 12 and newer): parses the libFuzzer flags in argv and fuzzes
/// `callback`. Linked in by `-sanitize=fuzzer`.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
