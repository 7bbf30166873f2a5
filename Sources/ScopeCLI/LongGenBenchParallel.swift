import ArgumentParser
import Foundation
import Generation
import KVCache
import LongGenBench
import Model
import Tokenizer

/// `longgenbench run --parallel N [--kv-budget-mb M]`.
struct BatchingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Examples generated at once by batched decoding (default 1: one after another). Results are the same, lines may come in another order.")
    var parallel: Int = 1

    @OptionGroup var kvBudget: KVBudgetOption

    func validate() throws {
        _ = try BatchFlags.parallel(parallel)
    }

    /// Whether examples go through the batch scheduler.
    var isBatched: Bool { parallel > 1 || kvBudget.isGiven }

    /// The scheduler-backed generator, on the model the sequential engine loaded.
    func generator(for engine: LongGenBenchEngine, config: CompressionConfig) throws -> SchedulerLongGenBenchGenerator {
        guard let sequential = engine.generator as? EngineLongGenBenchGenerator else {
            throw CLIError("--parallel needs the model engine")
        }
        return try SchedulerLongGenBenchGenerator(model: sequential.generator.model, tokenizer: sequential.generator.tokenizer,
                                                  config: config, kvType: sequential.modelOptions.kvType,
                                                  sampling: sequential.sampling, parallel: parallel,
                                                  kvBudgetBytes: try kvBudget.bytes)
    }
}

/// The engine behind `longgenbench run --parallel N`: every example goes through `BatchScheduler`
/// (N at once, optionally under a KV budget) with the same prompt encoding, cache type, sampling
/// (every example from the same seed), context rule, output decoding and per-example fields as
/// `EngineLongGenBenchGenerator`; batched decoding gives each example the tokens it gets alone. Each cache has its own
/// counters, so reference-semantics methods whose counters carry over between examples
/// (SnapKV, PyramidKV) are refused: their results would depend on the order of examples.
final class SchedulerLongGenBenchGenerator: ConcurrentLongGenBenchGenerator {
    let scheduler: BatchScheduler
    let config: CompressionConfig
    let sampling: SamplingOptions

    init(model: LlamaModel, tokenizer: Tokenizer, config: CompressionConfig, kvType: KVElementType, sampling: SamplingOptions,
         parallel: Int, kvBudgetBytes: Int?) throws {
        if config.semantics == .reference && ReferenceCounters.hasCounters(config.prefill) {
            throw CLIError("--parallel: reference-semantics \(config.prefill.rawValue) shares its counters across examples in order; run it with --parallel 1 or use --semantics corrected")
        }
        scheduler = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: parallel, kvBudgetBytes: kvBudgetBytes,
                                       kvType: kvType)
        self.config = config
        self.sampling = sampling
    }

    /// The context rule for this prompt (tokenized as `generate` will), and the KV budget.
    func check(prompt: String, maxNewTokens: Int) throws {
        let ids = scheduler.tokenizer.encode(prompt, addSpecial: true, parseSpecial: true)
        try checkContext(scheduler.model, config: config, promptTokens: ids.count, maxNewTokens: maxNewTokens,
                         elementType: scheduler.kvType)
        let request = SequenceRequest(prompt: ids, maxTokens: maxNewTokens, compression: config)
        if let budget = scheduler.metrics.kvBudgetBytes, scheduler.worstCaseKVBytes(request) > budget {
            throw ValidationError("--kv-budget-mb: this example needs up to \(scheduler.worstCaseKVBytes(request)) bytes of KV cache, more than the budget of \(budget) bytes")
        }
    }

    func generate(_ prompts: [(index: Int, prompt: String)], maxNewTokens: Int,
                  onAnswer: (Int, GeneratedAnswer, Double) throws -> Void) throws {
        let tokenizer = scheduler.tokenizer
        let stride = max(1, maxNewTokens / 256)
        let finished = FinishedQueue()
        var handles: [SequenceHandle] = []
        defer { for h in handles { h.cancel() } }
        for p in prompts {
            let ids = tokenizer.encode(p.prompt, addSpecial: true, parseSpecial: true)
            let handle = try scheduler.submit(SequenceRequest(prompt: ids, maxTokens: maxNewTokens, sampling: sampling,
                                                              compression: config, kvTraceStride: stride))
            handles.append(handle)
            Task {
                do {
                    for try await event in handle.events {
                        if case .finished(let outcome) = event { finished.push(p.index, .success(outcome)) }
                    }
                } catch {
                    finished.push(p.index, .failure(error))
                }
            }
        }
        for _ in prompts {
            let (index, result) = finished.pop()
            let outcome = try result.get()
            guard outcome.reason != .cancelled else { throw CLIError("example \(index) was cancelled") }
            let s = outcome.stats
            let layers = s.kvTokensPerLayer
            let answer = GeneratedAnswer(
                text: tokenizer.decode(outcome.tokens, skipSpecial: true), promptTokens: s.promptTokens,
                generatedTokens: s.generatedTokens, prefillSeconds: s.prefillSeconds, decodeSeconds: s.decodeSeconds,
                kvStats: ["kv_bytes_peak": Double(s.kvBytesPeak), "kv_bytes_final": Double(s.kvBytesCurrent),
                          "kv_tokens_final_mean": layers.isEmpty ? 0 : Double(layers.reduce(0, +)) / Double(layers.count),
                          "selection_seconds": s.selectionSeconds],
                kvBytesTrace: outcome.kvBytesTrace.map(Double.init), kvTraceStride: stride)
            try onAnswer(index, answer, s.prefillSeconds + s.decodeSeconds)
        }
    }
}

/// Finished examples handed from the stream readers to the thread that writes the results file.
private final class FinishedQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [(Int, Result<SequenceOutcome, Error>)] = []

    func push(_ index: Int, _ result: Result<SequenceOutcome, Error>) {
        condition.lock()
        items.append((index, result))
        condition.signal()
        condition.unlock()
    }

    func pop() -> (Int, Result<SequenceOutcome, Error>) {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        return items.removeFirst()
    }
}
