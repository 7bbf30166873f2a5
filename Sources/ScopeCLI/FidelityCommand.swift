import ArgumentParser
import Foundation
import Generation
import KVCache
import Model
import Tokenizer

/// `scope fidelity`: how far a compressed cache moves the model from FullKV on the same text.
///
/// Generates with an exact FullKV cache (float32; greedy unless sampling options are given) and
/// teacher-forces that output through the compressed configuration in the `--kv-type` cache, step
/// by step; reports per-token KL(full ‖ compressed), top-1 agreement and the first step where the
/// greedy choices differ. `--kv-type f16` without compression flags measures the f16 cache alone.
/// `--reference-kv-type` stores the FullKV reference in another element type (e.g. `--kv-type q8_0
/// --reference-kv-type f16`: q8_0 against the f16 cache, as llama.cpp's default cache).
struct FidelityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fidelity",
        abstract: "Compare a compressed KV cache with FullKV: KL divergence, top-1 agreement, first divergence.")

    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "KV compression") var compression: KVCompressionOptions
    @OptionGroup(title: "Sampling") var sampling: SamplingFlags
    @OptionGroup(title: "Prompt") var promptOptions: PromptOptions

    @Option(name: .customLong("max-tokens"), parsing: .unconditional, help: "Tokens to generate with FullKV and teacher-force.")
    var maxTokens: Int = 256

    @Option(name: .customLong("reference-kv-type"), help: "KV element type of the FullKV reference cache (default f32, exact).")
    var referenceKVType: KVElementType = .f32

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be ≥ 1, got \(maxTokens)") }
    }

    func run() throws {
        let (model, tokenizer) = try modelOptions.load()
        let prompt = try promptOptions.tokens(tokenizer)
        guard !prompt.isEmpty else { throw CLIError("the prompt encodes to no tokens") }
        let config = try compression.compressionConfig()
        try checkContext(model, config: .fullKV, promptTokens: prompt.count, maxNewTokens: maxTokens, elementType: referenceKVType)
        let full = try KVCache(shape: model.cacheShape, config: .fullKV, maxNewTokens: maxTokens, elementType: referenceKVType)
        let compressed = try modelOptions.cache(for: model, config: config, promptTokens: prompt.count, maxNewTokens: maxTokens)
        let report = try measureFidelity(model: model, tokenizer: tokenizer, prompt: prompt, maxTokens: maxTokens,
                                         full: full, compressed: compressed, sampling: sampling.options)
        if json {
            try printJSON(report.json)
        } else {
            print(String(format: "tokens %d | KL mean %.5f max %.5f | top-1 agreement %.4f | first divergence %@ | KV peak %.2f MiB (formula %.2f MiB; FullKV %.2f MiB)",
                         report.tokens, report.klMean, report.klMax, report.top1Agreement,
                         report.firstDivergence.map { "\($0)" } ?? "none",
                         Double(report.kvBytesPeak) / 1_048_576, Double(report.kvBytesFormula) / 1_048_576,
                         Double(report.fullKVBytesPeak) / 1_048_576))
        }
    }
}

struct FidelityReport {
    var tokens = 0
    var klMean = 0.0
    var klMax = 0.0
    var top1Agreement = 0.0
    var firstDivergence: Int?
    var kvBytesPeak = 0
    /// The closed-form peak (`KVMemory.expectedPeakBytes`) of the compared cache for this run.
    var kvBytesFormula = 0
    var fullKVBytesPeak = 0
    var perTokenKL: [Double] = []

    var json: [String: Any] {
        ["tokens": tokens, "kl_mean": klMean, "kl_max": klMax, "top1_agreement": top1Agreement,
         "first_divergence": firstDivergence.map { $0 as Any } ?? NSNull(),
         "kv_bytes_peak": kvBytesPeak, "kv_bytes_formula": kvBytesFormula, "fullkv_kv_bytes_peak": fullKVBytesPeak, "per_token_kl": perTokenKL]
    }
}

/// Runs the `full` (reference) and `compressed` caches side by side on the continuation of
/// `prompt` drawn from the full cache's logits with `sampling`.
func measureFidelity(model: LlamaModel, tokenizer: Tokenizer, prompt: [Int32], maxTokens: Int,
                     full: KVCache, compressed: KVCache, sampling: SamplingOptions) throws -> FidelityReport {
    var draw = TokenDraw(sampling, prompt: prompt)
    var hFull = try model.forward(tokens: prompt, startPosition: 0, cache: full)
    var hComp = try model.forward(tokens: prompt, startPosition: 0, cache: compressed)
    var row = prompt.count - 1
    var report = FidelityReport()
    var agree = 0
    for step in 0..<maxTokens {
        let a = model.logits(hidden: hFull, row: row), b = model.logits(hidden: hComp, row: row)
        let kl = klDivergence(a, b)
        let greedy = a.withUnsafeBufferPointer { Sampler.argmax($0) }
        let other = b.withUnsafeBufferPointer { Sampler.argmax($0) }
        let next = a.withUnsafeBufferPointer { draw.next($0)! }   // no constraint: always a token
        report.perTokenKL.append(kl)
        if greedy == other { agree += 1 } else if report.firstDivergence == nil { report.firstDivergence = step }
        if tokenizer.endOfGeneration.contains(next) || step == maxTokens - 1 { break }
        hFull = try model.forward(tokens: [next], startPosition: prompt.count + step, cache: full)
        hComp = try model.forward(tokens: [next], startPosition: prompt.count + step, cache: compressed)
        row = 0
    }
    report.tokens = report.perTokenKL.count
    report.klMean = report.perTokenKL.reduce(0, +) / Double(max(1, report.tokens))
    report.klMax = report.perTokenKL.max() ?? 0
    report.top1Agreement = Double(agree) / Double(max(1, report.tokens))
    report.kvBytesPeak = compressed.bytesPeak
    report.kvBytesFormula = KVMemory.expectedPeakBytes(shape: compressed.shape, config: compressed.config, promptLength: prompt.count,
                                                       decodeSteps: report.tokens - 1, maxNewTokens: compressed.maxNewTokens,
                                                       elementType: compressed.layers[0].elementType)
    report.fullKVBytesPeak = full.bytesPeak
    return report
}

/// KL(softmax(p) ‖ softmax(q)) in double precision.
func klDivergence(_ p: [Float], _ q: [Float]) -> Double {
    func logSoftmax(_ x: [Float]) -> [Double] {
        let m = Double(x.max()!)
        let lse = m + log(x.reduce(0.0) { $0 + exp(Double($1) - m) })
        return x.map { Double($0) - lse }
    }
    let lp = logSoftmax(p), lq = logSoftmax(q)
    var kl = 0.0
    for i in 0..<lp.count { kl += exp(lp[i]) * (lp[i] - lq[i]) }
    return max(0, kl)
}
