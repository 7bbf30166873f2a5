import Foundation
import KVCache
import Model
import Tokenizer

/// Timing and memory figures of one generation.
public struct GenerationStats: Sendable, Codable, Equatable {
    public var promptTokens = 0
    public var generatedTokens = 0
    public var prefillSeconds = 0.0
    public var decodeSeconds = 0.0
    public var kvBytesCurrent = 0
    public var kvBytesPeak = 0
    public var kvTokensPerLayer: [Int] = []
    /// "local"/"global" per layer when the model has sliding-window layers (Gemma 3), else empty.
    public var kvLayerKinds: [String] = []
    /// `KVCache.layerKindSummary` (nil without sliding-window layers).
    public var kvLayerSummary: String?
    public var selectionSeconds = 0.0

    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptTokens) / prefillSeconds : 0 }
    /// Decoding forwards per second (the first token comes from the prefill pass).
    public var decodeTokensPerSecond: Double {
        decodeSeconds > 0 ? Double(max(0, generatedTokens - 1)) / decodeSeconds : 0
    }

    public init() {}

    /// Records the finished cache: its bytes now and at the peak, tokens per layer, selection time,
    /// and (when it has sliding-window layers) `kvLayerKinds` and `kvLayerSummary`.
    mutating func recordCache(_ cache: KVCache) {
        kvBytesCurrent = cache.bytesCurrent
        kvBytesPeak = cache.bytesPeak
        kvTokensPerLayer = cache.tokensPerLayer
        selectionSeconds = cache.selectionSeconds
        guard let summary = cache.layerKindSummary else { return }
        kvLayerKinds = cache.layerKinds
        kvLayerSummary = summary
    }

    /// The `stats` object of the `--json` output.
    public var json: [String: Any] {
        var json: [String: Any] = [
            "prompt_tokens": promptTokens, "generated_tokens": generatedTokens,
            "prefill_tokens_per_second": prefillTokensPerSecond, "decode_tokens_per_second": decodeTokensPerSecond,
            "prefill_seconds": prefillSeconds, "decode_seconds": decodeSeconds,
            "kv_bytes_current": kvBytesCurrent, "kv_bytes_peak": kvBytesPeak,
            "kv_tokens_per_layer": kvTokensPerLayer, "selection_seconds": selectionSeconds,
        ]
        if !kvLayerKinds.isEmpty { json["kv_layer_kinds"] = kvLayerKinds }
        return json
    }
}

/// The outcome of one generation.
public struct GenerationResult: Sendable {
    /// Generated ids; ends with the end-of-generation token when generation stopped on it.
    public var tokens: [Int32]
    /// Decoded text of `tokens` (special tokens included as text when not skipped).
    public var text: String
    public var stoppedOnEndOfGeneration: Bool
    public var stats: GenerationStats
}

/// Runs prompt → tokens with a model, a tokenizer and a KV cache.
public final class Generator: @unchecked Sendable {
    public let model: LlamaModel
    public let tokenizer: Tokenizer

    public init(model: LlamaModel, tokenizer: Tokenizer) {
        self.model = model
        self.tokenizer = tokenizer
    }

    /// Generates up to `maxTokens` tokens after `prompt`, stopping on any end-of-generation id.
    ///
    /// `onToken` receives each id and its newly completed text (UTF-8 safe); returning false stops.
    /// With `.json(schema)` every token keeps the text a prefix of one JSON value of the schema
    /// (`JSONConstraint`) and generation stops, as on an end-of-generation token, when it closes.
    public func generate(prompt: [Int32], maxTokens: Int, sampling: SamplingOptions = .greedy, cache: KVCache,
                         skipSpecialInText: Bool = false, ignoreEndOfGeneration: Bool = false,
                         responseFormat: ResponseFormat = .text,
                         onToken: ((Int32, String) -> Bool)? = nil) throws -> GenerationResult {
        guard !prompt.isEmpty else { throw GenerationError("the prompt is empty") }
        guard maxTokens >= 0 else { throw GenerationError("max tokens must be ≥ 0, got \(maxTokens)") }
        try sampling.validate()
        var draw = TokenDraw(sampling, prompt: prompt,
                             constraint: responseFormat.schema.map { JSONConstraint(pieces: TokenPieces(tokenizer), schema: $0) })
        var stats = GenerationStats()
        stats.promptTokens = prompt.count
        var tokens: [Int32] = []
        var decoder = StreamingDecoder(tokenizer: tokenizer, skipSpecial: skipSpecialInText)
        var text = ""
        var stopped = false
        let vocab = model.config.vocabularySize
        var logits = [Float](repeating: 0, count: vocab)

        let t0 = Date()
        var hidden = try model.forward(tokens: prompt, startPosition: 0, cache: cache)
        var lastRow = prompt.count - 1
        stats.prefillSeconds = Date().timeIntervalSince(t0)
        let t1 = Date()
        var position = prompt.count
        while tokens.count < maxTokens {
            hidden.withUnsafeBufferPointer { h in
                logits.withUnsafeMutableBufferPointer { o in
                    model.logits(hidden: h.baseAddress! + lastRow * model.config.embeddingLength, into: o.baseAddress!)
                }
            }
            guard let next = logits.withUnsafeBufferPointer({ draw.next($0) }) else {
                stopped = true   // no token can continue the JSON text
                break
            }
            tokens.append(next)
            let piece = decoder.append(next)
            text += piece
            if let onToken, !onToken(next, piece) { break }
            if draw.isComplete { stopped = true; break }
            if !ignoreEndOfGeneration && tokenizer.endOfGeneration.contains(next) { stopped = true; break }
            if tokens.count == maxTokens { break }
            hidden = try model.forward(tokens: [next], startPosition: position, cache: cache)
            lastRow = 0
            position += 1
        }
        let tail = decoder.flush()
        text += tail
        if !tail.isEmpty { _ = onToken?(-1, tail) }
        stats.decodeSeconds = Date().timeIntervalSince(t1)
        stats.generatedTokens = tokens.count
        stats.recordCache(cache)
        return GenerationResult(tokens: tokens, text: text, stoppedOnEndOfGeneration: stopped, stats: stats)
    }
}
