/// What a generator returns for one prompt: the text plus the measurements stored with each result.
public struct GeneratedAnswer: Sendable, Equatable {
    /// The generated continuation, special tokens removed (the paper's `pred`).
    public var text: String
    public var promptTokens: Int
    public var generatedTokens: Int
    public var prefillSeconds: Double
    public var decodeSeconds: Double
    /// KV-cache statistics (e.g. `kv_bytes_peak`, `kv_entries_final`), stored under `kv`.
    public var kvStats: [String: Double]
    /// KV-cache bytes over the generation: entry i is the size after `i · kvTraceStride` generated
    /// tokens (entry 0: right after the prefill). Stored under `kv` as `kv_bytes_trace` and
    /// `kv_bytes_trace_stride`; empty when the generator does not record it.
    public var kvBytesTrace: [Double]
    public var kvTraceStride: Int

    public init(text: String, promptTokens: Int, generatedTokens: Int, prefillSeconds: Double, decodeSeconds: Double,
                kvStats: [String: Double] = [:], kvBytesTrace: [Double] = [], kvTraceStride: Int = 1) {
        self.kvBytesTrace = kvBytesTrace
        self.kvTraceStride = kvTraceStride
        self.text = text
        self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens
        self.prefillSeconds = prefillSeconds
        self.decodeSeconds = decodeSeconds
        self.kvStats = kvStats
    }
}

/// Produces the answer text for one LongGenBench prompt (the engine implements this; tests use fakes).
public protocol LongGenBenchGenerator {
    /// Generates at most `maxNewTokens` tokens after `prompt` (the final prompt text, template applied).
    func generate(prompt: String, maxNewTokens: Int) throws -> GeneratedAnswer
    /// Throws when `generate` could not run this prompt (e.g. prompt + `maxNewTokens` past the
    /// model's context); the runner checks every example before generating any.
    func check(prompt: String, maxNewTokens: Int) throws
}

extension LongGenBenchGenerator {
    /// No limits by default.
    public func check(prompt: String, maxNewTokens: Int) throws {}
}
