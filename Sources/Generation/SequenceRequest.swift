import KVCache

/// One generation request for `BatchScheduler`.
public struct SequenceRequest: Sendable {
    /// Token ids (chat template already applied by the caller).
    public var prompt: [Int32]
    /// Tokens to generate at most (> 0).
    public var maxTokens: Int
    /// Sampling, with this sequence's own seed.
    public var sampling: SamplingOptions
    /// This sequence's KV compression.
    public var compression: CompressionConfig
    /// Keep generating past end-of-generation tokens (benchmarks).
    public var ignoreEndOfGeneration: Bool
    /// Leave special tokens out of the streamed text.
    public var skipSpecialInText: Bool
    /// Record the cache's bytes after the prompt and then every this many generated tokens
    /// (`SequenceOutcome.kvBytesTrace`); nil records nothing.
    public var kvTraceStride: Int?
    /// Report each generated token's log-probability and this many most likely alternatives
    /// (`SequenceEvent.token`'s `logprobs`, 0...`TokenLogprobs.maxTop`); nil reports none.
    public var topLogprobs: Int?
    /// Report the log-probability of every prompt token after the first (each under the tokens
    /// before it) and this many alternatives (`SequenceEvent.prompt`, 0...`TokenLogprobs.maxTop`);
    /// nil reports none.
    public var promptLogprobs: Int?
    /// What the output must be (`.json`: one JSON value of a schema, and the sequence ends when it closes).
    public var responseFormat: ResponseFormat

    public init(prompt: [Int32], maxTokens: Int, sampling: SamplingOptions = .greedy, compression: CompressionConfig = .fullKV,
                ignoreEndOfGeneration: Bool = false, skipSpecialInText: Bool = false, kvTraceStride: Int? = nil,
                topLogprobs: Int? = nil, promptLogprobs: Int? = nil, responseFormat: ResponseFormat = .text) {
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.compression = compression
        self.ignoreEndOfGeneration = ignoreEndOfGeneration
        self.skipSpecialInText = skipSpecialInText
        self.kvTraceStride = kvTraceStride
        self.topLogprobs = topLogprobs
        self.promptLogprobs = promptLogprobs
        self.responseFormat = responseFormat
    }
}

/// Why a sequence stopped.
public enum FinishReason: String, Sendable {
    case endOfGeneration, length, cancelled
}

/// What a submitted sequence reports, in order: `.prompt` when the request asked for it, zero or
/// more `.token`, then exactly one `.finished` (or the stream throws, e.g. when the model failed for
/// this sequence).
public enum SequenceEvent: Sendable {
    /// Prompt tokens 1..<n: each one's log-probability under the tokens before it (full attention:
    /// the compression acts after the prompt) and the alternatives the request asked for.
    case prompt(logprobs: [TokenLogprobs])
    /// A generated token, its newly completed UTF-8-safe text (possibly empty) and, when the request
    /// asked for them (`topLogprobs`), its log-probabilities.
    case token(id: Int32, text: String, logprobs: TokenLogprobs?)
    case finished(SequenceOutcome)
}

/// The end of a sequence.
public struct SequenceOutcome: Sendable {
    public var reason: FinishReason
    /// Generated ids; ends with the end-of-generation token when `reason == .endOfGeneration`.
    public var tokens: [Int32]
    /// Text held back at the end (an incomplete UTF-8 sequence the token events did not emit);
    /// usually empty. The token texts followed by this are the whole decoded text.
    public var trailingText: String
    public var stats: GenerationStats
    /// The cache's bytes when generated token `i · kvTraceStride` was sampled (entry 0: right after
    /// the prompt); empty unless the request asked for it.
    public var kvBytesTrace: [Int]
    /// Seconds between `submit` and admission.
    public var queueSeconds: Double
    /// Prompt tokens not computed for this sequence, their rows taken from the scheduler's prompt
    /// cache: the whole prompt (seen before with this compression), a multiple of 256 (the leading
    /// chunks it shares with a kept FullKV prompt), or 0.
    public var cachedPromptTokens: Int
}

/// A snapshot of the scheduler.
public struct SchedulerMetrics: Sendable {
    public var running: Int
    public var queued: Int
    /// Bytes of K and V rows held by the live caches after the last step.
    public var kvBytesInUse: Int
    /// The largest sum over live caches of each cache's own peak: an upper bound of the KV bytes held
    /// at any instant so far.
    public var kvBytesPeak: Int
    /// Sum of the admitted sequences' worst-case bytes.
    public var kvBytesReserved: Int
    /// nil = unbounded.
    public var kvBudgetBytes: Int?
    public var parallel: Int
    /// Batched decoding steps run so far and the rows they advanced (mean batch = rows / steps).
    public var decodeSteps: Int
    public var decodeRows: Int
    /// The prompt cache: its limit (0 = off), bytes and entries held now, and the sequences that
    /// took prompt rows from it (a whole repeated prompt, or the shared leading chunks of a longer
    /// FullKV prompt) and how many prompt tokens they did not compute.
    public var promptCacheLimitBytes: Int
    public var promptCacheBytes: Int
    public var promptCacheEntries: Int
    public var promptCacheHits: Int
    public var promptCacheHitTokens: Int
}

public enum SchedulerError: Error, CustomStringConvertible, Equatable {
    /// The waiting queue is full (a server maps this to 429).
    case queueFull(limit: Int)
    /// The request alone needs more KV memory than the whole budget.
    case exceedsBudget(worstCaseBytes: Int, budget: Int)
    /// The request itself is malformed (prompt, limits, sampling or compression settings).
    case invalidRequest(String)
    /// `shutdown` was called.
    case shuttingDown

    public var description: String {
        switch self {
        case .queueFull(let limit): return "the queue is full (\(limit) waiting requests)"
        case .exceedsBudget(let need, let budget):
            return "the request needs up to \(need) bytes of KV cache, more than the whole budget of \(budget) bytes"
        case .invalidRequest(let message): return message
        case .shuttingDown: return "the scheduler is shutting down"
        }
    }
}

/// A submitted sequence: its events and a way to cancel it.
public struct SequenceHandle: Sendable {
    public let id: UInt64
    public let events: AsyncThrowingStream<SequenceEvent, Error>
    let cancelAction: @Sendable () -> Void

    /// Cancels the sequence (queued or running); its cache is freed before the next step and its
    /// stream ends with `.finished` (reason `.cancelled`).
    public func cancel() { cancelAction() }
}
