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

    public init(text: String, promptTokens: Int, generatedTokens: Int, prefillSeconds: Double, decodeSeconds: Double,
                kvStats: [String: Double] = [:]) {
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
    /// Greedy-generates at most `maxNewTokens` tokens after `prompt` (the final prompt text, template applied).
    func generate(prompt: String, maxNewTokens: Int) throws -> GeneratedAnswer
}
