import Foundation
import Generation
import Hummingbird
import JSONStrict
import Logging
import Model
import ServerRequests
import Tokenizer

/// The OpenAI-compatible HTTP front of a `BatchScheduler`: routes, request checks, responses,
/// server-sent events, metrics and logs. `ServerRunner` runs it with graceful shutdown.
public final class OpenAIServer: Sendable {
    public let scheduler: BatchScheduler
    public let configuration: ServerConfiguration
    let preparer: RequestPreparer
    let metrics = ServerMetrics()
    let logger: Logger
    let endOfGeneration: Set<Int32>
    let startedAt = Int(Date().timeIntervalSince1970)

    public init(scheduler: BatchScheduler, model: LlamaModel, tokenizer: Tokenizer, configuration: ServerConfiguration,
                logger: Logger) {
        self.scheduler = scheduler
        self.configuration = configuration
        self.logger = logger
        endOfGeneration = tokenizer.endOfGeneration
        preparer = RequestPreparer(tokenizer: tokenizer, contextLength: model.config.contextLength,
                                   vocabularySize: model.config.vocabularySize, defaultCompression: configuration.defaultCompression)
    }

    /// The routes, behind the API-key, error and metrics middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ServerMiddleware(apiKey: configuration.apiKey, metrics: metrics, logger: logger))
        router.post("/v1/chat/completions") { request, _ in try await self.generate(.chat, request) }
        router.post("/v1/completions") { request, _ in try await self.generate(.completion, request) }
        router.get("/v1/models") { _, _ in
            Self.json(ResponseBodies.models(id: self.configuration.modelID, created: self.startedAt))
        }
        addTokenizerRoutes(router)
        router.get("/health") { _, _ in Self.json(Data(#"{"status":"ok"}"#.utf8)) }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: self.metrics.exposition(self.scheduler.metrics))))
        }
        return router
    }

    static func json(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The request's body as JSON: larger than `maxBodyBytes` is a 413, malformed JSON a 400.
    func jsonBody(_ request: inout Request) async throws -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: configuration.maxBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(status: 413, message: "the request body is larger than the server's limit of \(configuration.maxBodyBytes) bytes",
                           code: "request_too_large")
        }
        return try JSONValue.parse(Data(buffer.readableBytesView))
    }

    /// `POST /v1/chat/completions` and `POST /v1/completions`.
    func generate(_ endpoint: Endpoint, _ request: Request) async throws -> Response {
        let arrival = ContinuousClock.now
        var request = request
        let parsed = try CompletionRequest(endpoint: endpoint, body: try await jsonBody(&request))
        let choices = try preparer.prepare(parsed)
        // The choices are submitted together (the scheduler batches them); if one is refused, those
        // already queued are cancelled.
        var handles: [SequenceHandle] = []
        do {
            for choice in choices { handles.append(try scheduler.submit(choice.sequence)) }
        } catch {
            for handle in handles { handle.cancel() }
            if let error = error as? SchedulerError { throw APIError(error, retryAfterSeconds: configuration.retryAfterSeconds) }
            throw error
        }
        let prefix = endpoint == .chat ? "chatcmpl-" : "cmpl-"
        let bodies = ResponseBodies(id: prefix + String(handles[0].id), created: Int(Date().timeIntervalSince1970),
                                    model: configuration.modelID, endpoint: endpoint,
                                    logprobs: parsed.logprobs == nil ? nil : LogprobsJSON(tokenizer: preparer.tokenizer))
        let runs = zip(handles, choices).map { handle, choice in
            var run = GenerationRun(handle: handle, promptTokens: choice.sequence.prompt.count, stop: parsed.stop,
                                    endOfGeneration: endOfGeneration, arrival: arrival)
            if parsed.echo {
                run.echo = GenerationRun.Echo(text: preparer.echoText(choice.prompt), prompt: choice.sequence.prompt,
                                              logprobs: parsed.logprobs != nil)
            }
            return run
        }
        let exchange = Exchange(server: self, bodies: bodies, runs: runs, choicesPerPrompt: parsed.choicesPerPrompt,
                                request: request)
        if parsed.stream { return exchange.streamingResponse(includeUsage: parsed.includeUsage) }
        return try await exchange.completeResponse()
    }

    /// The one log line and the metrics of a finished generation.
    func finished(_ bodies: ResponseBodies, _ summary: RunSummary) {
        metrics.recordGeneration(promptTokens: summary.usage.promptTokens, cachedTokens: summary.usage.cachedTokens,
                                 generatedTokens: summary.usage.completionTokens, timeToFirstToken: summary.timeToFirstToken,
                                 timePerOutputToken: summary.timePerOutputToken)
        func seconds(_ d: Duration?) -> Logger.MetadataValue {
            guard let d else { return "-" }
            let (s, attos) = d.components
            return .string(String(format: "%.4f", Double(s) + Double(attos) * 1e-18))
        }
        let end: String
        switch summary.end {
        case .finished(let reason): end = reason.rawValue
        case .cancelledByServer: end = "cancelled_by_shutdown"
        }
        logger.info("request", metadata: [
            "id": .string(bodies.id), "endpoint": .string(bodies.endpoint.rawValue), "finish": .string(end),
            "prompt_tokens": .stringConvertible(summary.usage.promptTokens),
            "cached_tokens": .stringConvertible(summary.usage.cachedTokens),
            "completion_tokens": .stringConvertible(summary.usage.completionTokens),
            "queue_s": .string(String(format: "%.4f", summary.queueSeconds)), "ttft_s": seconds(summary.timeToFirstToken),
            "tpot_s": seconds(summary.timePerOutputToken), "total_s": seconds(summary.total),
            "kv_bytes_peak": .stringConvertible(summary.usage.kvBytesPeak),
            "kv_tokens_per_layer_final": .stringConvertible(summary.usage.kvTokensPerLayerFinal),
        ])
    }

    /// The log line of a generation that ended without an answer (client gone, model error).
    func abandoned(_ bodies: ResponseBodies, _ error: any Error) {
        if error is CancellationError { metrics.countDisconnect() }
        logger.info("request", metadata: [
            "id": .string(bodies.id), "endpoint": .string(bodies.endpoint.rawValue),
            "finish": .string(error is CancellationError ? "client_disconnected" : "error: \(error)"),
        ])
    }
}
