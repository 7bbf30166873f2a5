import ArgumentParser
import KVCache

/// KV-compression flags shared by every command that generates (issue 4 item 5).
struct KVCompressionOptions: ParsableArguments {
    @Option(name: .long, help: "Prefill method: fullkv (allkv), streamingllm, h2o, snapkv, pyramidkv, pyramidinfer.")
    var prefill: String = "fullkv"

    @Option(name: .long, help: "Prefill budget P in rows per head, window included.")
    var prefillBudget: Int = 2048

    @Option(name: .long, help: "Prefill window w (default 8; P/2 for streamingllm).")
    var window: Int?

    @Option(name: .long, help: "SnapKV/PyramidKV pooling kernel size (odd).")
    var kernel: Int = 7

    @Option(name: .long, help: "SnapKV/PyramidKV pooling: max or avg.")
    var pooling: String = "max"

    @Option(name: .long, help: "PyramidKV/PyramidInfer pyramid ratio beta.")
    var beta: Int = 20

    @Option(name: .long, help: "Decoding method: none, h2o, slm, pyramidinfer, slide, adaptive, discontinuous.")
    var decoding: String = "none"

    @Option(name: .long, help: "Decoding window dw.")
    var decodingWindow: Int = 512

    @Option(name: .long, help: "Decoding recent size dr.")
    var recent: Int = 256

    @Option(name: .long, help: "Delta (adaptive/discontinuous period); default (max new tokens − dr) / (dw − dr).")
    var delta: Int?

    @Option(name: .long, help: "Semantics: corrected (default) or reference (the published code, quirks included).")
    var semantics: String = "corrected"

    @Option(name: .long, help: "GQA group score reduction in corrected semantics: mean or max.")
    var groupReduce: String = "mean"

    /// The validated configuration (throws a `ValidationError` naming the bad flag).
    func compressionConfig() throws -> CompressionConfig {
        guard let prefillKind = PrefillMethodKind(name: prefill) else {
            throw ValidationError("--prefill: unknown method '\(prefill)' (fullkv, streamingllm, h2o, snapkv, pyramidkv, pyramidinfer)")
        }
        guard let decodingKind = DecodingMethodKind(name: decoding) else {
            throw ValidationError("--decoding: unknown method '\(decoding)' (none, h2o, slm, pyramidinfer, slide, adaptive, discontinuous)")
        }
        guard let poolingKind = Pooling(name: pooling) else { throw ValidationError("--pooling: expected max or avg, got '\(pooling)'") }
        guard let semanticsKind = Semantics(rawValue: semantics.lowercased()) else {
            throw ValidationError("--semantics: expected reference or corrected, got '\(semantics)'")
        }
        guard let reduce = GroupReduce(rawValue: groupReduce.lowercased()) else {
            throw ValidationError("--group-reduce: expected mean or max, got '\(groupReduce)'")
        }
        let config = CompressionConfig(semantics: semanticsKind, prefill: prefillKind, decoding: decodingKind,
                                       prefillBudget: prefillBudget, window: window, kernel: kernel, pooling: poolingKind,
                                       beta: beta, decodingWindow: decodingWindow, recent: recent, delta: delta,
                                       groupReduce: reduce)
        do {
            try config.validate()
        } catch let error as KVCacheError {
            throw ValidationError(error.description)
        }
        return config
    }

    func validate() throws {
        _ = try compressionConfig()
    }
}
