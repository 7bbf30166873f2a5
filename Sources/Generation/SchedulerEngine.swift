import Foundation
import KVCache
import Model
import Tokenizer

/// The loop of `BatchScheduler`'s engine thread. Each iteration: drop cancelled sequences, admit
/// waiting ones, advance one prompt by a few layers (chunked prefill), then run one batched decoding
/// step of every sequence past its prompt. Only this thread touches the model and the caches.
final class SchedulerEngine: @unchecked Sendable {
    let model: LlamaModel
    let tokenizer: Tokenizer
    let queue: SchedulerQueue
    let kvType: KVElementType
    let prefillChunk: Int
    let promptCache: PromptCache?
    private var active: [RunningSequence] = []
    private var logits: [Float] = []
    /// The tokens' bytes for JSON-constrained sequences, built when the first one arrives.
    private lazy var pieces = TokenPieces(tokenizer)

    init(model: LlamaModel, tokenizer: Tokenizer, queue: SchedulerQueue, kvType: KVElementType, prefillChunk: Int,
         promptCache: PromptCache?) {
        self.model = model
        self.tokenizer = tokenizer
        self.queue = queue
        self.kvType = kvType
        self.prefillChunk = prefillChunk
        self.promptCache = promptCache
    }

    func run() {
        let promptCache = self.promptCache
        while let work = queue.nextWork(active: active.count, shrinkPromptCache: { target in
            promptCache?.shrink(to: target)
            return (promptCache?.bytes ?? 0, promptCache?.count ?? 0)
        }) {
            let now = monotonicNow()
            for p in work.dropped {
                let outcome = SequenceOutcome(reason: .cancelled, tokens: [], trailingText: "", stats: GenerationStats(),
                                              kvBytesTrace: [], queueSeconds: now - p.submitted, cachedPromptTokens: 0)
                queue.finished(p.id, worstCaseBytes: p.worstCaseBytes, wasAdmitted: false)
                p.continuation.yield(.finished(outcome))
                p.continuation.finish()
            }
            for s in active where work.cancelled.contains(s.id) { end(s, .cancelled) }
            for p in work.admitted {
                do {
                    active.append(try RunningSequence(p, model: model, tokenizer: tokenizer, kvType: kvType, now: now,
                                                      pieces: pieces))
                } catch {
                    queue.finished(p.id, worstCaseBytes: p.worstCaseBytes, wasAdmitted: true)
                    p.continuation.finish(throwing: error)
                }
            }
            step()
        }
    }

    /// Finishes a sequence's stream and releases its reservation (its cache goes with it).
    /// (The reservation is released first, so a caller that sees the end also sees it in `metrics`.)
    private func end(_ s: RunningSequence, _ reason: FinishReason) {
        remove(s)
        s.finish(reason, now: monotonicNow())
    }

    private func fail(_ s: RunningSequence, _ error: Error) {
        remove(s)
        s.continuation.finish(throwing: error)
    }

    private func remove(_ s: RunningSequence) {
        active.removeAll { $0 === s }
        queue.finished(s.id, worstCaseBytes: s.worstCaseBytes, wasAdmitted: true)
    }

    private func step() {
        resumeCachedPrompts()
        if let s = active.first(where: { $0.prefill != nil }) { advancePrefill(s) }
        let decoding = active.filter { $0.prefill == nil }
        var finished: [(RunningSequence, FinishReason)] = []
        if !decoding.isEmpty {
            do {
                finished = try decode(decoding)
            } catch {
                for s in decoding { fail(s, error) }
            }
        }
        // The peak counts the sequences that finished in this step; the bytes in use do not (their
        // caches go now, and no later step may come to say so before the next request).
        let peakBound = active.reduce(0) { $0 + $1.cache.bytesPeak }
        let ending = Set(finished.map { ObjectIdentifier($0.0) })
        let inUse = active.reduce(0) { ending.contains(ObjectIdentifier($1)) ? $0 : $0 + $1.cache.bytesCurrent }
        queue.recordStep(bytesInUse: inUse, peakBound: peakBound, decodeRows: decoding.count)
        for (s, reason) in finished { end(s, reason) }
    }

    /// Runs the next layers of `s`'s prompt: about `prefillChunk` tokens' worth of work. When the
    /// prompt is complete, samples the first token.
    private func advancePrefill(_ s: RunningSequence) {
        if s.prefillStart == nil {
            s.prefillStart = monotonicNow()
            reusePromptPrefix(s)
        }
        guard let pass = s.prefill else { return }
        let L = model.config.blockCount
        let layers = max(1, (prefillChunk * L + pass.tokenCount - 1) / max(1, pass.tokenCount))
        do {
            try pass.run(layers: layers)
        } catch {
            fail(s, error)
            return
        }
        guard pass.isComplete else { return }
        let hidden = pass.hidden()
        let dim = model.config.embeddingLength, vocab = model.config.vocabularySize
        if let k = s.request.promptLogprobs { s.continuation.yield(.prompt(logprobs: promptLogprobs(hidden, s.request.prompt, top: k))) }
        ensureLogits(vocab)
        logits.withUnsafeMutableBufferPointer { o in
            hidden.withUnsafeBufferPointer { h in
                model.logits(hidden: h.baseAddress! + (pass.tokenCount - 1) * dim, into: o.baseAddress!)
            }
        }
        s.prefill = nil
        logits.withUnsafeBufferPointer { all in
            let last = UnsafeBufferPointer(rebasing: all[0..<vocab])
            if let promptCache {
                // before the first decoding step changes the cache (a failed fork only loses the entry)
                try? promptCache.store(s.promptKey, cache: s.cache, logits: last, room: queue.promptCacheRoom)
                reportPromptCache(promptCache, hitTokens: nil)
            }
            startDecoding(s, firstLogits: last)
        }
    }

    /// Gives every sequence whose prompt has not started and is in the prompt cache the state after
    /// its prompt, so it skips the prefill (a request asking for prompt log-probabilities runs its
    /// prompt: the cache keeps only the last position's logits).
    private func resumeCachedPrompts() {
        guard let promptCache else { return }
        for s in active where s.prefill != nil && s.prefillStart == nil && s.request.promptLogprobs == nil {
            guard let entry = promptCache.lookup(s.promptKey) else { continue }
            s.prefillStart = monotonicNow()
            do {
                try s.resume(from: entry)
            } catch {
                fail(s, error)
                continue
            }
            reportPromptCache(promptCache, hitTokens: s.request.prompt.count)
            entry.logits.withUnsafeBufferPointer { startDecoding(s, firstLogits: $0) }
        }
    }

    /// Before `s`'s prefill starts: when a kept prompt starts with the same tokens (FullKV), takes
    /// their rows and leaves only the rest of the prompt to run (`PromptCache.longestPrefix`; the
    /// last `queryWindow` prompt queries of a decoding method that scores with them are computed).
    private func reusePromptPrefix(_ s: RunningSequence) {
        guard let promptCache, s.request.promptLogprobs == nil, model.cacheShape.layerWindows.isEmpty,
              let (entry, rows) = promptCache.longestPrefix(of: s.promptKey, leaving: max(1, s.cache.queryWindow),
                                                            reusable: LayerPass.reusableRows) else { return }
        // A failed fork (not expected: the entry was checked) only costs the whole prefill.
        if (try? s.resume(from: entry, prefix: rows, model: model)) != nil {
            reportPromptCache(promptCache, hitTokens: rows)
        }
    }

    /// Tells the queue (metrics) the prompt cache's size, and a hit of `hitTokens` prompt tokens.
    private func reportPromptCache(_ cache: PromptCache, hitTokens: Int?) {
        queue.recordPromptCache(bytes: cache.bytes, entries: cache.count, hitTokens: hitTokens)
    }

    /// The prompt is done: records the prefill time and draws the first token.
    private func startDecoding(_ s: RunningSequence, firstLogits: UnsafeBufferPointer<Float>) {
        let now = monotonicNow()
        s.stats.prefillSeconds = now - (s.prefillStart ?? now)
        s.decodeStart = now
        if let reason = s.accept(logits: firstLogits, endOfGeneration: tokenizer.endOfGeneration) { end(s, reason) }
    }

    /// Prompt tokens 1..<n under the hidden states of the positions before them, 64 rows of logits
    /// at a time (the output matrix is streamed once per batch).
    private func promptLogprobs(_ hidden: [Float], _ prompt: [Int32], top k: Int) -> [TokenLogprobs] {
        let dim = model.config.embeddingLength, vocab = model.config.vocabularySize, batch = 64
        var out: [TokenLogprobs] = []
        out.reserveCapacity(prompt.count - 1)
        var start = 0
        while start < prompt.count - 1 {
            let n = min(batch, prompt.count - 1 - start)
            ensureLogits(n * vocab)
            logits.withUnsafeMutableBufferPointer { o in
                hidden.withUnsafeBufferPointer { h in
                    model.logits(hiddenRows: h.baseAddress! + start * dim, count: n, into: o.baseAddress!)
                }
            }
            logits.withUnsafeBufferPointer { all in
                for r in 0..<n {
                    let row = UnsafeBufferPointer(rebasing: all[(r * vocab)..<((r + 1) * vocab)])
                    out.append(TokenLogprobs(logits: row, chosen: prompt[start + r + 1], top: k))
                }
            }
            start += n
        }
        return out
    }

    /// One batched decoding step of `sequences`; returns those that finished.
    private func decode(_ sequences: [RunningSequence]) throws -> [(RunningSequence, FinishReason)] {
        let rows = sequences.map { DecodeRow(cache: $0.cache, token: $0.tokens.last!, position: $0.position) }
        let hidden = try model.decodeStep(rows)
        let vocab = model.config.vocabularySize
        ensureLogits(rows.count * vocab)
        logits.withUnsafeMutableBufferPointer { o in
            hidden.withUnsafeBufferPointer { h in
                model.logits(hiddenRows: h.baseAddress!, count: rows.count, into: o.baseAddress!)
            }
        }
        var finished: [(RunningSequence, FinishReason)] = []
        logits.withUnsafeBufferPointer { all in
            for (b, s) in sequences.enumerated() {
                let row = UnsafeBufferPointer(rebasing: all[(b * vocab)..<((b + 1) * vocab)])
                if let reason = s.accept(logits: row, endOfGeneration: tokenizer.endOfGeneration) { finished.append((s, reason)) }
            }
        }
        return finished
    }

    private func ensureLogits(_ count: Int) {
        if logits.count < count { logits = [Float](repeating: 0, count: count) }
    }
}
