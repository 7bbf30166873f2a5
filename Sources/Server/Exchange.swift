import Foundation
import Generation
import Hummingbird
import ServerRequests

/// One admitted generation request and how it is answered: a whole JSON response, or server-sent
/// events (`data: {chunk}` lines and a final `data: [DONE]`); one choice per run (several prompts
/// and `n` > 1 run at once). Either way the runs are
/// watched for the client closing its connection, which cancels the sequences. Watching consumes the
/// connection's inbound stream, so the server closes the connection after the answer: the answer
/// says so (`Connection: close`) and clients do not reuse it.
struct Exchange: Sendable {
    let server: OpenAIServer
    let bodies: ResponseBodies
    /// The choices' runs, prompt after prompt, `choicesPerPrompt` for each.
    let runs: [GenerationRun]
    let choicesPerPrompt: Int
    let request: Request

    /// A run's answer: its text, its tokens' log-probabilities and its figures.
    private struct Answer: Sendable {
        var text: String
        var entries: [LoggedToken]
        var summary: RunSummary
    }

    func completeResponse() async throws -> Response {
        let answers: [Answer]
        do {
            answers = try await request.body.consumeWithCancellationOnInboundClose { [runs] _ in
                // One task per run; a failed or cancelled one cancels the others (and so their sequences).
                try await withThrowingTaskGroup(of: (Int, Answer).self) { group in
                    for (i, run) in runs.enumerated() {
                        group.addTask {
                            var text = "", entries: [LoggedToken] = []
                            let summary = try await run.run { text += $0; entries += $1 }
                            return (i, Answer(text: text, entries: entries, summary: summary))
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.0 < $1.0 }.map(\.1)
                }
            }
        } catch {
            server.abandoned(bodies, error)
            throw error
        }
        for answer in answers { server.finished(bodies, answer.summary) }
        var choices: [ResponseBodies.Choice] = []
        for answer in answers {
            guard case .finished(let reason) = answer.summary.end else {
                throw APIError(status: 503, message: "the server shut down before this request finished", type: "server_error",
                               code: "shutting_down")
            }
            var offset = 0
            choices.append(.init(text: answer.text, logprobs: bodies.logprobsValue(answer.entries, offset: &offset), finish: reason))
        }
        var response = OpenAIServer.json(bodies.complete(choices, usage: usage(answers.map(\.summary))))
        response.headers[.connection] = "close"
        return response
    }

    /// What the runs of a stream hand to the one writer: a chunk to send, or a run's end.
    private enum Piece: Sendable {
        case chunk(Data)
        case finished(choice: Int, RunSummary)
        case failed(any Error)
    }

    /// Server-sent events for every run at once (`n` > 1 or several prompts: each chunk carries its
    /// choice's index, in the order the tokens come): the chat's role chunks first, then the text
    /// chunks, each choice's finish chunk when it ends, the usage chunk when asked and `[DONE]` once
    /// all have ended. One task per run feeds a single writer; a failed write (client gone) or run
    /// cancels the others and so their sequences.
    func streamingResponse(includeUsage: Bool) -> Response {
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache", .connection: "close"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            do {
                let summaries = try await request.body.consumeWithCancellationOnInboundClose { [runs, bodies] _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        let (pieces, sink) = AsyncStream.makeStream(of: Piece.self)
                        if bodies.endpoint == .chat {
                            for i in runs.indices { try await Self.send(&writer, Self.event(bodies.chunk(choice: i, text: "", first: true))) }
                        }
                        for (i, run) in runs.enumerated() {
                            group.addTask {
                                do {
                                    var offset = 0
                                    let summary = try await run.run { text, entries in
                                        let logprobs = bodies.logprobsValue(entries, offset: &offset)
                                        sink.yield(.chunk(bodies.chunk(choice: i, text: text, logprobs: logprobs)))
                                    }
                                    sink.yield(.finished(choice: i, summary))
                                } catch {
                                    sink.yield(.failed(error))
                                }
                            }
                        }
                        var summaries: [(choice: Int, RunSummary)] = []
                        func inChoiceOrder() -> [RunSummary] { summaries.sorted { $0.choice < $1.choice }.map(\.1) }
                        for await piece in pieces {
                            switch piece {
                            case .chunk(let json):
                                try await Self.send(&writer, Self.event(json))
                            case .failed(let error):
                                throw error
                            case .finished(let i, let summary):
                                summaries.append((i, summary))
                                server.finished(bodies, summary)
                                guard case .finished(let reason) = summary.end else {
                                    group.cancelAll()
                                    return inChoiceOrder()
                                }
                                try await Self.send(&writer, Self.event(bodies.chunk(choice: i, text: nil, finish: reason)))
                            }
                            if summaries.count == runs.count { return inChoiceOrder() }
                        }
                        // The pieces end early only when this task is cancelled (the client closed the connection).
                        throw CancellationError()
                    }
                }
                if !summaries.contains(where: { $0.end == .cancelledByServer }) {
                    if includeUsage { try await writer.write(Self.event(bodies.usageChunk(usage(summaries)))) }
                    try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                } else {
                    let error = APIError(status: 503, message: "the server shut down before this request finished",
                                         type: "server_error", code: "shutting_down")
                    try await writer.write(Self.event(error.body))
                }
                try await writer.finish(nil)
            } catch {
                server.abandoned(bodies, error)
                throw error
            }
        })
    }

    /// The request's usage from its choices' summaries (in choice order): every choice's completion
    /// tokens and KV peak (each choice has its own cache), each prompt's tokens once (OpenAI counts a
    /// prompt once however many choices it has; the `choicesPerPrompt` choices of a prompt have its
    /// token count each), and a prompt's tokens as cached when none of its choices computed them
    /// (the first choice of a new prompt runs it; the others start from the prompt cache).
    private func usage(_ summaries: [RunSummary]) -> CompletionUsage {
        var total = CompletionUsage(adding: summaries.map(\.usage))
        total.promptTokens /= choicesPerPrompt
        total.cachedTokens = stride(from: 0, to: summaries.count, by: choicesPerPrompt).reduce(0) { sum, first in
            sum + summaries[first..<min(summaries.count, first + choicesPerPrompt)].map(\.usage.cachedTokens).min()!
        }
        return total
    }

    /// Writes to the client; a failed write means the client is gone, reported as a cancellation.
    static func send(_ writer: inout any ResponseBodyWriter, _ buffer: ByteBuffer) async throws {
        do {
            try await writer.write(buffer)
        } catch {
            throw CancellationError()
        }
    }

    static func event(_ json: Data) -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(json)
        buffer.writeString("\n\n")
        return buffer
    }
}
