import KVCache

/// What a generation that passed `ContextLimit.check` will use.
public struct ContextPlan: Sendable, Equatable {
    /// Positions the sequence may occupy: prompt tokens + max new tokens (≤ the model's context).
    public var positions: Int
    /// Worst-case KV-cache bytes of this request (`KVMemory.expectedPeakBytes`, closed form, fresh
    /// reference counters), in the cache's element type.
    public var worstCaseKVBytes: Int
}

/// A request the model's context cannot hold; the message names every number involved.
public struct ContextLimitError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}

/// The context rule, in one place for every caller (CLI commands, batched scheduler, server).
///
/// A sequence may use at most `contextLength` positions: prompt tokens + max new tokens ≤ context,
/// whatever the compression. A full cache would otherwise grow past the context (and reserve the
/// rows up front). A compressed cache stays bounded, but the engine keeps every row at its absolute
/// RoPE position (no re-indexing inside the cache) and all methods keep early prompt rows, so a
/// query past the context would attend over relative distances the model was never trained on.
/// `context_length` is the longest context the model was trained (or RoPE-scaled) for, and the
/// engine has no re-indexing or extrapolation scheme (such as YaRN) that would cover more, so such
/// requests are refused rather than silently degraded.
public enum ContextLimit {
    /// Checks a request before any cache is allocated.
    /// - Parameters:
    ///   - promptTokens: prompt length n (≥ 1).
    ///   - maxNewTokens: tokens to generate T (≥ 0).
    ///   - contextLength: the model's trained context (`<arch>.context_length`); must be positive.
    ///   - config: the KV compression (named in the message, and used for the worst-case bytes).
    ///   - shape: the model's cache shape; `elementType` its row storage.
    public static func check(promptTokens n: Int, maxNewTokens T: Int, contextLength c: Int, config: CompressionConfig,
                             shape: CacheShape, elementType: KVElementType = .f32) throws -> ContextPlan {
        guard c >= 1 else {
            throw ContextLimitError("the model's context length is \(c); it must be positive (GGUF key <arch>.context_length)")
        }
        guard n >= 1 else { throw ContextLimitError("the prompt is empty") }
        guard T >= 0 else { throw ContextLimitError("max new tokens must be ≥ 0, got \(T)") }
        guard n <= c else {
            throw ContextLimitError("the prompt has \(n) tokens, more than the model's context of \(c) tokens")
        }
        guard T <= c - n else {
            // n + T may overflow Int (a max-tokens flag of Int.max): say it in words then.
            let (total, overflow) = n.addingReportingOverflow(T)
            let sum = overflow ? "more than \(Int.max)" : "\(total)"
            let cacheNote = config.prefill == .fullKV && config.decoding == .none
                ? "the full cache would need \(sum) rows per layer"
                : "the compressed cache would stay bounded, but positions past the context are refused (RoPE distances beyond the trained context)"
            throw ContextLimitError("prompt (\(n) tokens) + max new tokens (\(T)) = \(sum) exceeds the model's context of \(c) tokens; "
                                    + "\(cacheNote); use at most \(c - n) new tokens or a shorter prompt")
        }
        let bytes = KVMemory.expectedPeakBytes(shape: shape, config: config, promptLength: n,
                                               decodeSteps: Swift.max(0, T - 1), maxNewTokens: T, elementType: elementType)
        return ContextPlan(positions: n + T, worstCaseKVBytes: bytes)
    }
}
