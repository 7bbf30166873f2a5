import ArgumentParser
import KVCache

/// The KV-compression group, on every command that runs the model with a cache it can compress:
/// one prefill method, one decoding method, their parameters, `--semantics` and `--group-reduce`.
struct KVCompressionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Prefill method: \(MethodRegistry.prefillNames.joined(separator: ", ")) (`scope methods` describes each)."))
    var prefill: PrefillMethodKind = .fullKV

    @Option(name: .customLong("prefill-budget"), parsing: .unconditional,
            help: "Prefill budget P in rows per head, window included (default 2048).")
    var prefillBudget: Int?

    @Option(name: .long, parsing: .unconditional, help: "Prefill window w (default 8; P/2 for streamingllm).")
    var window: Int?

    @Option(name: .long, parsing: .unconditional, help: "SnapKV/PyramidKV pooling kernel size (odd).")
    var kernel: Int = 7

    @Option(name: .long, help: "SnapKV/PyramidKV pooling.")
    var pooling: Pooling = .max

    @Option(name: .long, parsing: .unconditional, help: "PyramidKV/PyramidInfer pyramid ratio beta.")
    var beta: Int = 20

    @Option(name: .long, help: ArgumentHelp("Decoding method: \(MethodRegistry.decodingNames.joined(separator: ", ")) (`scope methods` describes each)."))
    var decoding: DecodingMethodKind = .none

    @Option(name: .customLong("decoding-window"), parsing: .unconditional, help: "Decoding window dw.")
    var decodingWindow: Int = 512

    @Option(name: .long, parsing: .unconditional, help: "Decoding recent size dr.")
    var recent: Int = 256

    @Option(name: .long, parsing: .unconditional,
            help: "Delta (adaptive/discontinuous period); default (max new tokens − dr) / (dw − dr).")
    var delta: Int?

    @Option(name: .long, help: "corrected, or reference: the published code, quirks included (docs/kv-semantics.md).")
    var semantics: Semantics = .corrected

    @Option(name: .customLong("group-reduce"), help: "GQA group score reduction in corrected semantics.")
    var groupReduce: GroupReduce = .mean

    @Option(name: .long, parsing: .unconditional, help: "Compression interval in steps, for the methods that compress periodically (same as --param interval=N).")
    var interval: Int?

    @Option(name: .customLong("param"),
            help: ArgumentHelp("A method parameter without its own flag, NAME=VALUE (repeatable; `scope methods` lists them).", valueName: "name=value"))
    var params: [String] = []

    /// The validated configuration (throws a `ValidationError` naming the bad flag). `defaultBudget`
    /// is P when `--prefill-budget` is not given.
    func compressionConfig(defaultBudget: Int = 2048) throws -> CompressionConfig {
        let config = CompressionConfig(semantics: semantics, prefill: prefill, decoding: decoding,
                                       prefillBudget: prefillBudget ?? defaultBudget, window: window, kernel: kernel,
                                       pooling: pooling, beta: beta, decodingWindow: decodingWindow, recent: recent,
                                       delta: delta, groupReduce: groupReduce, parameters: try methodParameters())
        try validateConfig(config)
        return config
    }

    func validate() throws {
        _ = try compressionConfig()
    }

    /// `--param` values by name, plus `--interval`; a malformed or repeated one is a validation error.
    private func methodParameters() throws -> [String: String] {
        var values: [String: String] = [:]
        for p in params {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
                throw ValidationError("--param \(p): expected NAME=VALUE")
            }
            let name = p[..<eq].lowercased(), value = String(p[p.index(after: eq)...])
            if values[name] != nil { throw ValidationError("--param \(name) given twice") }
            values[name] = value
        }
        if let interval {
            if values["interval"] != nil { throw ValidationError("--interval and --param interval=… both given") }
            values["interval"] = String(interval)
        }
        return values
    }
}

/// `config.validate()`, reported as a validation error naming the bad flag (exit 64).
func validateConfig(_ config: CompressionConfig) throws {
    do {
        try config.validate()
    } catch let error as KVCacheError {
        throw ValidationError(error.description)
    }
}
