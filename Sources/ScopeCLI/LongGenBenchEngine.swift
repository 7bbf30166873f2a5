import Foundation
import Generation
import KVCache
import LongGenBench
import Model
import Tokenizer

/// A generator plus, when the model has one, its chat template as (system or nil, user) → prompt text.
struct LongGenBenchEngine {
    var generator: any LongGenBenchGenerator
    var chatFormatter: (@Sendable (String?, String) -> String)?
}

/// The engine behind `longgenbench run`: decoding with the configured KV compression, cache
/// type and sampling (greedy by default; every example starts from the same seed, so an example's
/// output does not depend on which examples ran before it), BOS added when the vocabulary asks for
/// it (as the paper's `add_special_tokens=True`), output decoded without special tokens (the
/// paper's `skip_special_tokens=True`).
final class EngineLongGenBenchGenerator: LongGenBenchGenerator {
    let generator: Generator
    let config: CompressionConfig
    let modelOptions: ModelOptions
    let sampling: SamplingOptions
    /// Reference semantics: one set of class-level counters for the whole run, as in the
    /// published code (SnapKV/PyramidKV counters carry over between examples).
    let counters: ReferenceCounters?

    init(generator: Generator, config: CompressionConfig, modelOptions: ModelOptions, sampling: SamplingOptions) {
        self.generator = generator
        self.config = config
        self.modelOptions = modelOptions
        self.sampling = sampling
        self.counters = config.semantics == .reference ? ReferenceCounters() : nil
    }

    /// The context rule for this prompt (tokenized as `generate` will).
    func check(prompt: String, maxNewTokens: Int) throws {
        let ids = generator.tokenizer.encode(prompt, addSpecial: true, parseSpecial: true)
        try checkContext(generator.model, config: config, promptTokens: ids.count, maxNewTokens: maxNewTokens,
                         elementType: modelOptions.kvType)
    }

    func generate(prompt: String, maxNewTokens: Int) throws -> GeneratedAnswer {
        let tokenizer = generator.tokenizer
        let ids = tokenizer.encode(prompt, addSpecial: true, parseSpecial: true)
        let cache = try modelOptions.cache(for: generator.model, config: config, promptTokens: ids.count, maxNewTokens: maxNewTokens,
                                           counters: counters)
        // KV bytes after the prefill and then every `stride` tokens (about 256 points per example).
        let stride = max(1, maxNewTokens / 256)
        var trace: [Double] = []
        var generated = 0
        let result = try generator.generate(prompt: ids, maxTokens: maxNewTokens, sampling: sampling, cache: cache) { token, _ in
            if token >= 0 {
                if generated % stride == 0 { trace.append(Double(cache.bytesCurrent)) }
                generated += 1
            }
            return true
        }
        let text = tokenizer.decode(result.tokens, skipSpecial: true)
        let s = result.stats
        let layers = s.kvTokensPerLayer
        return GeneratedAnswer(
            text: text, promptTokens: s.promptTokens, generatedTokens: s.generatedTokens,
            prefillSeconds: s.prefillSeconds, decodeSeconds: s.decodeSeconds,
            kvStats: ["kv_bytes_peak": Double(s.kvBytesPeak), "kv_bytes_final": Double(s.kvBytesCurrent),
                      "kv_tokens_final_mean": layers.isEmpty ? 0 : Double(layers.reduce(0, +)) / Double(layers.count),
                      "selection_seconds": s.selectionSeconds],
            kvBytesTrace: trace, kvTraceStride: stride)
    }
}

/// Loads the model and builds the engine-backed generator for `longgenbench run`.
func makeLongGenBenchEngine(model: ModelOptions, config: CompressionConfig, sampling: SamplingOptions) throws -> LongGenBenchEngine {
    let (llama, tokenizer) = try model.load()
    let generator = EngineLongGenBenchGenerator(generator: Generator(model: llama, tokenizer: tokenizer), config: config,
                                                modelOptions: model, sampling: sampling)
    var formatter: (@Sendable (String?, String) -> String)? = nil
    if let template = try? tokenizer.chatTemplate() {
        formatter = { @Sendable (system: String?, user: String) -> String in
            // No system message: the template's own default (SmolLM2's names the assistant).
            let messages = (system.map { [ChatMessage(role: "system", content: $0)] } ?? []) + [ChatMessage(role: "user", content: user)]
            return (try? template.render(messages, addGenerationPrompt: true)) ?? user
        }
    }
    return LongGenBenchEngine(generator: generator, chatFormatter: formatter)
}

extension CompressionConfig {
    /// The results-file label used by the paper's layout, e.g. `H2O+slide`, `ALLKV+None`.
    var longGenBenchLabel: String {
        "\(prefill.referenceName)+\(decoding == .none ? "None" : decoding.rawValue)"
    }
}
