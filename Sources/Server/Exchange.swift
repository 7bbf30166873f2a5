import Foundation
import Generation
import Hummingbird
import ServerRequests

/// One admitted generation request and how it is answered: a whole JSON response (one choice per
/// run: several prompts run at once), or server-sent events (`data: {chunk}` lines and a final
/// `data: [DONE]`; one run). Either way the run is
/// watched for the client closing its connection, which cancels the sequence. Watching consumes the
/// connection's inbound stream, so the server closes the connection after the answer: the answer
/// says so (`Connection: close`) and clients do not reuse it.
struct Exchange: Sendable {
    let server: OpenAIServer
    let bodies: ResponseBodies
    let runs: [GenerationRun]
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
        var response = OpenAIServer.json(bodies.complete(choices, usage: CompletionUsage(adding: answers.map(\.summary.usage))))
        response.headers[.connection] = "close"
        return response
    }

    func streamingResponse(includeUsage: Bool) -> Response {
        precondition(runs.count == 1, "a stream answers one prompt")
        let run = runs[0]
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache", .connection: "close"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            do {
                let summary = try await request.body.consumeWithCancellationOnInboundClose { _ in
                    if bodies.endpoint == .chat { try await Self.send(&writer, Self.event(bodies.chunk(text: "", first: true))) }
                    var offset = 0
                    return try await run.run { text, entries in
                        try await Self.send(&writer, Self.event(bodies.chunk(text: text, logprobs: bodies.logprobsValue(entries, offset: &offset))))
                    }
                }
                server.finished(bodies, summary)
                switch summary.end {
                case .finished(let reason):
                    try await writer.write(Self.event(bodies.chunk(text: nil, finish: reason)))
                    if includeUsage { try await writer.write(Self.event(bodies.usageChunk(summary.usage))) }
                    try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                case .cancelledByServer:
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
