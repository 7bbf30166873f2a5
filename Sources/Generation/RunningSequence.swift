import KVCache
import Model
import Tokenizer

/// An admitted sequence as the engine thread sees it: its cache, its prompt pass while it is being
/// prefilled, its sampler and streaming text decoder, and what it generated so far.
final class RunningSequence {
    let id: UInt64
    let request: SequenceRequest
    let worstCaseBytes: Int
    let continuation: AsyncThrowingStream<SequenceEvent, Error>.Continuation
    let queueSeconds: Double
    private(set) var cache: KVCache
    /// The prompt's layer-by-layer pass; nil once the prompt has been prefilled.
    var prefill: LayerPass?
    var draw: TokenDraw
    var decoder: StreamingDecoder
    var tokens: [Int32] = []
    var kvBytesTrace: [Int] = []
    var stats = GenerationStats()
    var prefillStart: Double?
    var decodeStart = 0.0
    /// Prompt tokens whose rows came from the prompt cache instead of a prefill (all of them, or a
    /// shared leading part).
    private(set) var cachedPromptTokens = 0

    /// `pieces` gives the tokens' bytes to a `.json` request's constraint.
    init(_ p: PendingSequence, model: LlamaModel, tokenizer: Tokenizer, kvType: KVElementType, now: Double,
         pieces: @autoclosure () -> TokenPieces) throws {
        id = p.id
        request = p.request
        worstCaseBytes = p.worstCaseBytes
        continuation = p.continuation
        queueSeconds = now - p.submitted
        cache = try KVCache(shape: model.cacheShape, config: p.request.compression, maxNewTokens: p.request.maxTokens,
                            elementType: kvType)
        prefill = LayerPass(model: model, tokens: p.request.prompt, startPosition: 0, cache: cache)
        let constraint = p.request.responseFormat.schema.map { JSONConstraint(pieces: pieces(), schema: $0) }
        draw = TokenDraw(p.request.sampling, prompt: p.request.prompt, constraint: constraint)
        decoder = StreamingDecoder(tokenizer: tokenizer, skipSpecial: p.request.skipSpecialInText)
        stats.promptTokens = p.request.prompt.count
    }

    /// The key of this sequence's state after its prompt in a `PromptCache`.
    var promptKey: PromptCache.Key { PromptCache.Key(prompt: request.prompt, compression: request.compression) }

    /// Takes the state after the prompt from a prompt-cache entry instead of running the prompt
    /// (the caller then draws the first token from the entry's logits).
    func resume(from entry: PromptCache.Entry) throws {
        cache = try entry.cache.forked(maxNewTokens: request.maxTokens)
        prefill = nil
        cachedPromptTokens = request.prompt.count
    }

    /// Takes the first `rows` prompt rows from a prompt-cache entry whose prompt starts with the
    /// same tokens (`KVCache.forkedPrefix`); the prefill then runs only the rest of the prompt.
    func resume(from entry: PromptCache.Entry, prefix rows: Int, model: LlamaModel) throws {
        let c = try entry.cache.forkedPrefix(rows: rows, config: request.compression, maxNewTokens: request.maxTokens)
        cache = c
        prefill = LayerPass(model: model, tokens: Array(request.prompt[rows...]), startPosition: rows, cache: c)
        cachedPromptTokens = rows
    }

    /// The position of the next token fed to the model.
    var position: Int { request.prompt.count + tokens.count - 1 }

    /// Draws from `logits` (`TokenDraw`: penalties, bias, constraint, sampler), emits the token;
    /// returns the finish reason when the sequence is done. A constrained sequence ends when its JSON object closes, or
    /// (end of generation, the text a prefix) in the unlikely case that no token can continue it.
    func accept(logits: UnsafeBufferPointer<Float>, endOfGeneration: Set<Int32>) -> FinishReason? {
        guard let next = draw.next(logits) else { return .endOfGeneration }
        if let stride = request.kvTraceStride, tokens.count % max(1, stride) == 0 { kvBytesTrace.append(cache.bytesCurrent) }
        tokens.append(next)
        let logprobs = request.topLogprobs.map { TokenLogprobs(logits: logits, chosen: next, top: $0) }
        continuation.yield(.token(id: next, text: decoder.append(next), logprobs: logprobs))
        if draw.isComplete { return .endOfGeneration }
        if !request.ignoreEndOfGeneration && endOfGeneration.contains(next) { return .endOfGeneration }
        if tokens.count >= request.maxTokens { return .length }
        return nil
    }

    /// Ends the stream with its outcome.
    func finish(_ reason: FinishReason, now: Double) {
        if prefill == nil {
            stats.decodeSeconds = now - decodeStart
        } else if let prefillStart {
            stats.prefillSeconds = now - prefillStart
        }
        stats.generatedTokens = tokens.count
        stats.recordCache(cache)
        let outcome = SequenceOutcome(reason: reason, tokens: tokens, trailingText: decoder.flush(), stats: stats,
                                      kvBytesTrace: kvBytesTrace, queueSeconds: queueSeconds, cachedPromptTokens: cachedPromptTokens)
        continuation.yield(.finished(outcome))
        continuation.finish()
    }
}
