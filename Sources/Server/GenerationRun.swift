import Generation
import ServerRequests

/// How a request's generation ended.
enum RunEnd: Sendable, Equatable {
    /// Answered normally with this finish reason.
    case finished(OpenAIFinishReason)
    /// The scheduler cancelled it (shutdown grace over) before it finished.
    case cancelledByServer
}

/// The figures of a finished run, for the response, the metrics and the log line.
struct RunSummary: Sendable {
    var end: RunEnd
    var usage: CompletionUsage
    var queueSeconds: Double
    var timeToFirstToken: Duration?
    var timePerOutputToken: Duration?
    var total: Duration
}

/// Consumes one sequence's events: hides the text of end-of-generation tokens (OpenAI does not
/// show them, also for completions), applies the stop strings
/// (cancelling the sequence when one appears), and hands the released text to `onText` with the
/// log-probabilities of the tokens generated since the last call (when the request asked for them;
/// those of end-of-generation tokens are left out like their text; with a stop string, the tokens
/// up to the one that completed it are listed, as `completion_tokens` counts them).
/// A cancelled task (client gone) cancels the sequence, which frees its cache.
struct GenerationRun: Sendable {
    let handle: SequenceHandle
    let promptTokens: Int
    let stop: [String]
    let endOfGeneration: Set<Int32>
    let arrival: ContinuousClock.Instant

    func run(onText: (String, [TokenLogprobs]) async throws -> Void) async throws -> RunSummary {
        try await withTaskCancellationHandler {
            try await consume(onText: onText)
        } onCancel: { [handle] in
            handle.cancel()
        }
    }

    private func consume(onText: (String, [TokenLogprobs]) async throws -> Void) async throws -> RunSummary {
        let clock = ContinuousClock()
        var matcher = StopStringMatcher(stop)
        var counted = 0
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant?
        var outcome: SequenceOutcome?
        var pending: [TokenLogprobs] = []
        func release(_ text: String, always: Bool = false) async throws {
            guard !text.isEmpty || (always && !pending.isEmpty) else { return }
            try await onText(text, pending)
            pending.removeAll()
        }
        do {
            for try await event in handle.events {
                switch event {
                case .token(let id, let text, let logprobs):
                    if matcher.stopped { continue }
                    if id >= 0 {
                        counted += 1
                        let now = clock.now
                        if first == nil { first = now }
                        last = now
                    }
                    let hidden = endOfGeneration.contains(id)
                    if let logprobs, !hidden { pending.append(logprobs) }
                    try await release(matcher.append(hidden ? "" : text))
                    if matcher.stopped { handle.cancel() }
                case .finished(let o):
                    outcome = o
                    try await release(matcher.append(o.trailingText))
                }
            }
        } catch {
            handle.cancel()
            throw error
        }
        try Task.checkCancellation()
        guard let outcome else { throw APIError(status: 500, message: "the sequence ended without an outcome", type: "server_error") }
        try await release(matcher.flush(), always: true)

        let end: RunEnd
        if matcher.stopped {
            end = .finished(.stop)
        } else {
            switch outcome.reason {
            case .endOfGeneration: end = .finished(.stop)
            case .length: end = .finished(.length)
            case .cancelled: end = .cancelledByServer
            }
        }
        let stats = outcome.stats
        let generated = matcher.stopped ? counted : max(counted, stats.generatedTokens)
        let usage = CompletionUsage(promptTokens: promptTokens, completionTokens: generated, kvBytesPeak: stats.kvBytesPeak,
                                    kvTokensPerLayerFinal: stats.kvTokensPerLayer.max() ?? 0)
        var tpot: Duration?
        if let first, let last, counted > 1 { tpot = (last - first) / (counted - 1) }
        return RunSummary(end: end, usage: usage, queueSeconds: outcome.queueSeconds,
                          timeToFirstToken: first.map { $0 - arrival }, timePerOutputToken: tpot, total: clock.now - arrival)
    }
}
