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
/// With `echo` the prompt's text (and its tokens' log-probabilities, when asked) comes first, past
/// the stop strings. A cancelled task (client gone) cancels the sequence, which frees its cache.
struct GenerationRun: Sendable {
    /// What completions' `echo` sends before the answer: the prompt's text and ids, and whether its
    /// log-probabilities come (a `.prompt` event) or the text goes alone.
    struct Echo: Sendable {
        var text: String
        var prompt: [Int32]
        var logprobs: Bool
    }

    let handle: SequenceHandle
    let promptTokens: Int
    let stop: [String]
    let endOfGeneration: Set<Int32>
    let arrival: ContinuousClock.Instant
    var echo: Echo? = nil

    func run(onText: (String, [LoggedToken]) async throws -> Void) async throws -> RunSummary {
        try await withTaskCancellationHandler {
            try await consume(onText: onText)
        } onCancel: { [handle] in
            handle.cancel()
        }
    }

    private func consume(onText: (String, [LoggedToken]) async throws -> Void) async throws -> RunSummary {
        let clock = ContinuousClock()
        var matcher = StopStringMatcher(stop)
        var counted = 0
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant?
        var outcome: SequenceOutcome?
        var pending: [LoggedToken] = []
        func release(_ text: String, always: Bool = false) async throws {
            guard !text.isEmpty || (always && !pending.isEmpty) else { return }
            try await onText(text, pending)
            pending.removeAll()
        }
        do {
            if let echo, !echo.logprobs { try await onText(echo.text, []) }
            for try await event in handle.events {
                switch event {
                case .prompt(let logprobs):
                    // The first prompt token has no log-probability (nothing comes before it).
                    guard let echo, echo.logprobs, let head = echo.prompt.first else { continue }
                    try await onText(echo.text, [LoggedToken(id: head, logprobs: nil)] + logprobs.map(LoggedToken.init))
                case .token(let id, let text, let logprobs):
                    if matcher.stopped { continue }
                    if id >= 0 {
                        counted += 1
                        let now = clock.now
                        if first == nil { first = now }
                        last = now
                    }
                    let hidden = endOfGeneration.contains(id)
                    if let logprobs, !hidden { pending.append(LoggedToken(logprobs)) }
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
                                    kvTokensPerLayerFinal: stats.kvTokensPerLayer.max() ?? 0, cachedTokens: outcome.cachedPromptTokens)
        var tpot: Duration?
        if let first, let last, counted > 1 { tpot = (last - first) / (counted - 1) }
        return RunSummary(end: end, usage: usage, queueSeconds: outcome.queueSeconds,
                          timeToFirstToken: first.map { $0 - arrival }, timePerOutputToken: tpot, total: clock.now - arrival)
    }
}
