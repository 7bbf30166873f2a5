import Foundation
import KVCache
import Model
import Tokenizer

/// Continuous batching of many sequences on one model: admits up to `parallel` sequences and up to
/// a KV memory budget (each request's worst-case cache bytes, known up front from its compression
/// configuration), decodes all admitted sequences together in batched steps
/// (`LlamaModel.decodeStep`), prefills new prompts a few layers at a time between those steps, and
/// lets every sequence end on its own (end of generation, max tokens, cancellation). Waiting
/// requests join at the next step. With a prompt cache (`promptCacheBytes`), a prompt seen again
/// skips its prefill, and a FullKV prompt that starts like a kept one runs only its rest
/// (`PromptCache`), with exactly the tokens a prefill gives.
///
/// The model runs on one dedicated engine thread; `submit`, `cancel` and `metrics` only touch a
/// locked queue, so they are safe from any thread or task.
public final class BatchScheduler: Sendable {
    public let model: LlamaModel
    public let tokenizer: Tokenizer
    public let kvType: KVElementType
    private let queue: SchedulerQueue

    /// - Parameters:
    ///   - parallel: sequences decoded together at most (≥ 1).
    ///   - kvBudgetBytes: bound on the sum of the admitted sequences' worst-case KV bytes; nil = unbounded.
    ///   - maxQueue: waiting requests at most (`submit` throws `queueFull` beyond); nil = unbounded.
    ///   - prefillChunk: prompt work per engine step, in token-layers per layer count: a prompt of n
    ///     tokens advances `ceil(prefillChunk · layers / n)` layers per step.
    ///   - promptCacheBytes: bytes of post-prefill states kept for prompts seen again (`PromptCache`);
    ///     0 keeps none. With a KV budget the cache also lives inside it: it holds only what the
    ///     admitted sequences' reservations leave free, and gives entries back (least recently used
    ///     first) when an admission needs their room, so the sequences' KV bytes plus the cache's stay
    ///     within the budget.
    public init(model: LlamaModel, tokenizer: Tokenizer, parallel: Int, kvBudgetBytes: Int?, maxQueue: Int? = nil,
                kvType: KVElementType = .f32, prefillChunk: Int = 256, promptCacheBytes: Int = 0) throws {
        guard parallel >= 1 else { throw SchedulerError.invalidRequest("parallel must be ≥ 1, got \(parallel)") }
        if let kvBudgetBytes, kvBudgetBytes <= 0 {
            throw SchedulerError.invalidRequest("the KV budget must be positive, got \(kvBudgetBytes) bytes")
        }
        if let maxQueue, maxQueue < 0 { throw SchedulerError.invalidRequest("the queue limit must be ≥ 0, got \(maxQueue)") }
        guard prefillChunk >= 1 else { throw SchedulerError.invalidRequest("the prefill chunk must be ≥ 1, got \(prefillChunk)") }
        guard promptCacheBytes >= 0 else {
            throw SchedulerError.invalidRequest("the prompt cache size must be ≥ 0, got \(promptCacheBytes) bytes")
        }
        self.model = model
        self.tokenizer = tokenizer
        self.kvType = kvType
        queue = SchedulerQueue(parallel: parallel, budget: kvBudgetBytes, maxQueue: maxQueue, promptCacheLimit: promptCacheBytes)
        let engine = SchedulerEngine(model: model, tokenizer: tokenizer, queue: queue, kvType: kvType, prefillChunk: prefillChunk,
                                     promptCache: promptCacheBytes > 0 ? PromptCache(limitBytes: promptCacheBytes) : nil)
        let thread = Thread { engine.run() }
        thread.name = "scope-engine"
        thread.start()
    }

    deinit { queue.stop() }

    /// The worst-case KV bytes of a request: the closed-form peak of its compression configuration
    /// (`KVMemory.expectedPeakBytes`) for its prompt and `maxTokens` (a full cache holds the prompt
    /// plus the generated tokens, capped at the model's context), in this scheduler's element type.
    public func worstCaseKVBytes(_ request: SequenceRequest) -> Int {
        let n = request.prompt.count
        let generated = max(0, min(request.maxTokens, model.config.contextLength - n))
        return KVMemory.expectedPeakBytes(shape: model.cacheShape, config: request.compression, promptLength: n,
                                          decodeSteps: max(0, generated - 1), maxNewTokens: request.maxTokens, elementType: kvType)
    }

    /// Validates and enqueues a request; returns at once.
    public func submit(_ request: SequenceRequest) throws -> SequenceHandle {
        try validate(request)
        let worst = worstCaseKVBytes(request)
        if let budget = queue.budget, worst > budget { throw SchedulerError.exceedsBudget(worstCaseBytes: worst, budget: budget) }
        let (stream, continuation) = AsyncThrowingStream<SequenceEvent, Error>.makeStream()
        let id = try queue.enqueue(request, worstCaseBytes: worst, continuation: continuation)
        let queue = self.queue
        continuation.onTermination = { termination in
            if case .cancelled = termination { queue.cancel(id) }
        }
        return SequenceHandle(id: id, events: stream, cancelAction: { queue.cancel(id) })
    }

    public var metrics: SchedulerMetrics { queue.metrics }

    /// Stops admitting new requests, lets running and queued sequences finish for up to `grace`,
    /// cancels the rest and stops the engine thread.
    public func shutdown(grace: Duration) async {
        queue.stopAccepting()
        let deadline = ContinuousClock.now + grace
        while !queue.isIdle && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        queue.stop()
        while !queue.isIdle { try? await Task.sleep(for: .milliseconds(5)) }
    }

    private func validate(_ r: SequenceRequest) throws {
        if let stride = r.kvTraceStride, stride < 1 { throw SchedulerError.invalidRequest("the KV trace stride must be ≥ 1, got \(stride)") }
        for k in [r.topLogprobs, r.promptLogprobs].compactMap({ $0 }) where !(0...TokenLogprobs.maxTop).contains(k) {
            throw SchedulerError.invalidRequest("top logprobs must be in 0...\(TokenLogprobs.maxTop), got \(k)")
        }
        guard r.maxTokens > 0 else { throw SchedulerError.invalidRequest("max tokens must be > 0, got \(r.maxTokens)") }
        do {
            try r.compression.validate()
            try r.sampling.validate()
            try model.checkVocabulary(r.prompt)
            // The context rule shared with the CLI and the server (prompt + max tokens ≤ context).
            _ = try ContextLimit.check(promptTokens: r.prompt.count, maxNewTokens: r.maxTokens, contextLength: model.config.contextLength,
                                       config: r.compression, shape: model.cacheShape, elementType: kvType)
        } catch {
            throw SchedulerError.invalidRequest("\(error)")
        }
    }
}
