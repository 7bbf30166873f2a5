// swift-tools-version: 6.1
import PackageDescription

// CPU-specific code generation (see docs/arm64.md). On x86-64 the default build targets Haswell
// (AVX2/FMA/F16C) and compiles the AVX2 intrinsic kernels (SCOPE_AVX2). Builds with only the generic
// Swift SIMD kernels (what ARM64 runs):
//   SCOPE_PORTABLE=1  a per-architecture baseline with FMA: on x86-64 `-target-cpu haswell`, i.e. the
//                     x86-64-v3 ISA level (swiftc's -target-cpu does not accept "x86-64-v3"; without
//                     FMA every SIMD multiply-add is a libm call per lane); elsewhere the default
//                     target (ARM64 has NEON and FMA).
//   SCOPE_GENERIC=1   the generic kernels with the default build's -target-cpu: the stand-in for
//                     ARM64 that CI tests on x86-64 (today the same flags as SCOPE_PORTABLE=1).
#if arch(x86_64)
let genericKernels = Context.environment["SCOPE_PORTABLE"] == "1" || Context.environment["SCOPE_GENERIC"] == "1"
let nativeFlags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])] + (genericKernels ? [] : [.define("SCOPE_AVX2")])
#else
let nativeFlags: [SwiftSetting] = []
#endif
// -Ounchecked (no overflow, bounds or precondition checks) only where a benchmark shows it pays: the
// kernels (scope bench A/B, alternated, shared machine: prefill 13-16% faster, user CPU 13-15% lower).
// KVCache and Model keep their preconditions (removing -Ounchecked there cost nothing measurable).
let kernelSettings: [SwiftSetting] = nativeFlags + [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "Scope",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "scope", targets: ["ScopeCLI"]),
        .library(name: "ScopeKit", targets: ["GGUF", "Kernels", "Tokenizer", "KVCache", "Model", "Generation", "LongGenBench", "Plot", "Analysis", "SplitMix"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `scope serve` (Sources/Server): Hummingbird 2, graceful shutdown, logs, Prometheus metrics.
        // Hummingbird without its default traits: no swift-configuration support (the server is configured
        // by its command line) and no full-Foundation form coding. Nothing here builds TLS (BoringSSL):
        // ServerTests drive the server with a small SwiftNIO client instead of AsyncHTTPClient.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // File format: header, metadata, tensor infos, block layouts, scalar reference dequantizers.
        .target(name: "GGUF", swiftSettings: nativeFlags),
        // SIMD kernels: quantized mat-vec, GEMM, thread pool, softmax, norms.
        .target(name: "Kernels", dependencies: ["GGUF", "CPrefetch", "CVector", "CVNNI"], swiftSettings: kernelSettings),
        // Software prefetch (a C builtin Swift cannot express), used by the decode kernels.
        .target(name: "CPrefetch"),
        // Portable vector helpers in clang's vector extensions (conversions, 8-bit dot products) for
        // the generic kernels; Swift's stdlib has no concrete vector conversions or shuffles.
        .target(name: "CVector"),
        .target(name: "CVNNI"),
        // Tokenizers (byte-level BPE, SentencePiece) and chat templates, built from GGUF metadata.
        .target(name: "Tokenizer", dependencies: ["GGUF"], swiftSettings: nativeFlags),
        // KV-cache storage and compression policies (no model knowledge).
        .target(name: "KVCache", swiftSettings: nativeFlags),
        // Llama-family forward pass.
        .target(name: "Model", dependencies: ["GGUF", "Kernels", "KVCache"], swiftSettings: nativeFlags),
        // The seedable random generator shared by sampling, the synthetic tasks, tests and benchmarks.
        .target(name: "SplitMix"),
        // Sampling, stop conditions, streaming, stats.
        .target(name: "Generation", dependencies: ["Model", "Kernels", "Tokenizer", "KVCache", "SplitMix", "JSONStrict"], swiftSettings: nativeFlags),
        // A strict JSON parser: duplicate keys refused, errors with line and column (requests, data files).
        .target(name: "JSONStrict"),
        // LongGenBench datasets, results store and scorers (no engine dependency).
        .target(name: "LongGenBench", dependencies: ["SplitMix", "JSONStrict"]),
        // Plots: axes, legends, colour maps, PNG/SVG output.
        .target(name: "Plot", dependencies: ["CZlib"]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Heavy-hitter and attention-map analyses.
        .target(name: "Analysis", dependencies: ["Generation", "Plot"]),
        // The server's request bodies: JSON decoding, field checks, `kv_compression`, prompt preparation
        // (no HTTP; fuzzed by Fuzz/FuzzServerRequest).
        .target(name: "ServerRequests", dependencies: ["Generation", "Tokenizer", "KVCache", "JSONStrict"], swiftSettings: nativeFlags),
        // The OpenAI-compatible HTTP server of `scope serve`, over the batched scheduler.
        .target(
            name: "Server",
            dependencies: [
                "ServerRequests", "JSONStrict", "Generation", "Tokenizer", "KVCache", "Model",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: nativeFlags),
        .executableTarget(
            name: "ScopeCLI",
            dependencies: [
                "GGUF", "Kernels", "Tokenizer", "KVCache", "Model", "Generation", "LongGenBench", "Plot", "Analysis", "Server",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: nativeFlags
        ),
        // Helpers for tests: locating ../shared, fetching the default model.
        .target(name: "ScopeTestSupport", dependencies: ["SplitMix"], path: "Tests/ScopeTestSupport"),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "ScopeTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "GGUF", "ScopeTestSupport"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "GGUF", "ScopeTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KVCacheTests", dependencies: ["KVCache", "ScopeTestSupport"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Generation", "Tokenizer", "GGUF", "KVCache", "SplitMix", "JSONStrict", "ScopeTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "JSONStrictTests", dependencies: ["JSONStrict", "SplitMix", "ScopeTestSupport"]),
        .testTarget(name: "LongGenBenchTests", dependencies: ["LongGenBench", "ScopeTestSupport"]),
        .testTarget(name: "PlotTests", dependencies: ["Plot", "ScopeTestSupport"]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "Plot", "Model", "GGUF", "KVCache", "Tokenizer", "ScopeTestSupport"]),
        // The `scope` command (run as a process) and the context rule it enforces.
        .testTarget(name: "ScopeCLITests", dependencies: ["Generation", "KVCache", "LongGenBench", "ScopeTestSupport"]),
        // The server on an ephemeral loopback port, driven over HTTP.
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "ServerRequests", "JSONStrict", "Generation", "Model", "Tokenizer", "KVCache", "GGUF", "SplitMix", "ScopeTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
    ]
)

// Kernel benchmarks (ordo-one/benchmark), declared only when SCOPE_BENCHMARKS=1 so that `swift build`
// and `swift test` never resolve or build them:
//   SCOPE_BENCHMARKS=1 swift package benchmark --target KernelBenchmarks
if Context.environment["SCOPE_BENCHMARKS"] == "1" {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]))
    package.targets.append(
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: ["Kernels", "GGUF", "SplitMix", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/KernelBenchmarks",
            swiftSettings: nativeFlags,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]))
}

// libFuzzer targets (Fuzz/), declared only when SCOPE_FUZZ=1 so that `swift build` and `swift test`
// never build them. Each is an executable that hands one test function to libFuzzer's driver; scripts/fuzz builds one with
// the fuzzer and AddressSanitizer instrumentation and runs it:  scripts/fuzz gguf 60
if Context.environment["SCOPE_FUZZ"] == "1" {
    package.targets.append(.target(name: "CFuzzDriver", path: "Fuzz/CFuzzDriver"))
    package.targets.append(.target(name: "FuzzSupport", dependencies: ["CFuzzDriver"], path: "Fuzz/FuzzSupport"))
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzGGUF", ["GGUF", "Tokenizer"]),
        ("FuzzTokenizer", ["Tokenizer"]),
        ("FuzzChatTemplate", ["Tokenizer"]),
        ("FuzzLongGenBench", ["LongGenBench"]),
        ("FuzzServerRequest", ["ServerRequests", "JSONStrict", "Generation", "KVCache", "Tokenizer"]),
    ]
    for target in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: target.name, dependencies: target.dependencies + ["FuzzSupport"], path: "Fuzz/\(target.name)"))
        package.products.append(.executable(name: target.name, targets: [target.name]))
    }
}
