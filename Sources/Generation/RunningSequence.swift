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
    let cache: KVCache
    /// The prompt's layer-by-layer pass; nil once the prompt has been prefilled.
    var prefill: LayerPass?
    var draw: TokenDraw
    var decoder: StreamingDecoder
    var tokens: [Int32] = []
    var kvBytesTrace: [Int] = []
    var stats = GenerationStats()
    var prefillStart: Double?
    var decodeStart = 0.0

    /// `pieces` gives the tokens' bytes to a `.jsonObject` request's constraint.
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
        let constraint = p.request.responseFormat == .jsonObject ? JSONConstraint(pieces: pieces()) : nil
        draw = TokenDraw(p.request.sampling, prompt: p.request.prompt, constraint: constraint)
        decoder = StreamingDecoder(tokenizer: tokenizer, skipSpecial: p.request.skipSpecialInText)
        stats.promptTokens = p.request.prompt.count
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
                                      kvBytesTrace: kvBytesTrace, queueSeconds: queueSeconds)
        continuation.yield(.finished(outcome))
        continuation.finish()
    }
}
