import Foundation
import Generation
import Logging
import NIOCore
import ScopeTestSupport
import Server
import ServiceLifecycle
import Testing

/// Disconnects, metrics and graceful shutdown.
@Suite(.serialized, .needsDefaultModel)
struct LifecycleTests {
    /// A prompt the model keeps continuing (counting), so only a cancellation ends it early.
    static var endless: [String: Any] { ["prompt": "1, 2, 3, 4, 5, 6, 7, 8,", "max_tokens": 4000] }

    /// One choice, or three streamed at once: closing the connection frees every sequence.
    @Test(arguments: [1, 3])
    func streamingClientDisconnectFreesTheSequences(choices: Int) async throws {
        try await TestServer.with { s in
            var body = Self.endless
            body["stream"] = true
            body["n"] = choices
            let json = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
            let (firstChunk, gotFirst) = AsyncStream.makeStream(of: Int.self)
            let reader = Task {
                try await TestHTTPClient.exchange(port: s.port, method: .POST, path: "/v1/completions", body: json) { response in
                    gotFirst.yield(response.status)
                    while try await response.nextChunk() != nil {}
                }
            }
            var iterator = firstChunk.makeAsyncIterator()
            #expect(await iterator.next() == 200)
            #expect(try await s.waitForMetrics { $0["scope_running_sequences"] == Double(choices) })
            // Give up on the response: the client closes the connection.
            reader.cancel()
            #expect(try await s.waitForMetrics {
                $0["scope_running_sequences"] == 0 && $0["scope_kv_bytes_in_use"] == 0 && $0["scope_requests_disconnected_total"] == 1
            })
            #expect(try await s.metric("scope_generated_tokens_total") == 0)
        }
    }

    @Test func waitingClientDisconnectFreesTheSequence() async throws {
        try await TestServer.with { s in
            let json = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: Self.endless))
            let waiting = Task {
                try await TestHTTPClient.exchange(port: s.port, method: .POST, path: "/v1/completions", body: json) { $0.status }
            }
            #expect(try await s.waitForMetrics { $0["scope_running_sequences"] == 1 })
            waiting.cancel()
            #expect(try await s.waitForMetrics {
                $0["scope_running_sequences"] == 0 && $0["scope_kv_bytes_in_use"] == 0 && $0["scope_requests_disconnected_total"] == 1
            })
        }
    }

    @Test func healthModelsAndMetrics() async throws {
        try await TestServer.with(kvBudgetBytes: 64 << 20) { s in
            let health = try await s.send(.GET, "/health")
            #expect(health.status == 200 && health.body.contains("ok"))
            let models = try await s.send(.GET, "/v1/models")
            let json = try JSONSerialization.jsonObject(with: Data(models.body.utf8)) as? [String: Any]
            #expect(json?[path: "object"] as? String == "list")
            #expect(json?[path: "data.0.id"] as? String == "smollm2-test")
            _ = try await s.post("/v1/completions", ["prompt": "Hello", "max_tokens": 3])
            let metrics = try await s.send(.GET, "/metrics").body
            for name in ["scope_requests_total", "scope_generated_tokens_total", "scope_queue_depth", "scope_running_sequences",
                         "scope_kv_bytes_in_use", "scope_kv_budget_bytes", "scope_time_to_first_token_seconds_bucket",
                         "scope_time_per_output_token_seconds_bucket"] {
                #expect(metrics.contains(name), "\(name) missing")
            }
            #expect(try await s.metric("scope_kv_budget_bytes") == Double(64 << 20))
            #expect(try await s.metric("scope_generated_tokens_total") == 3)
            #expect(try await s.metric("scope_time_to_first_token_seconds_count") == 1)
        }
    }

    @Test func gracefulShutdownLetsRunningRequestsFinish() async throws {
        let outcome = try await TestServer.with { s in
            let running = Task {
                try await s.stream("/v1/completions", ["prompt": "1, 2, 3,", "max_tokens": 40, "stream": true])
            }
            #expect(try await s.waitForMetrics { $0["scope_running_sequences"] == 1 })
            await s.group.triggerGracefulShutdown()
            return (try await running.value, s.port)
        }
        // TestServer.with returned: the server stopped after the request finished normally.
        #expect(outcome.0.status == 200)
        #expect(outcome.0.events.last == "[DONE]")
        let finish = outcome.0.events.dropLast().last.flatMap {
            ((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any])?[path: "choices.0.finish_reason"] as? String
        }
        #expect(finish == "length")
        // Nothing listens any more.
        await #expect(throws: (any Error).self) {
            _ = try await TestHTTPClient.exchange(port: outcome.1, method: .GET, path: "/health") { $0.status }
        }
    }

    @Test func gracefulShutdownCancelsWhatOutlivesTheGrace() async throws {
        let events = try await TestServer.with(shutdownGrace: .milliseconds(200)) { s in
            let running = Task {
                var body = Self.endless
                body["stream"] = true
                return try await s.stream("/v1/completions", body)
            }
            #expect(try await s.waitForMetrics { $0["scope_running_sequences"] == 1 })
            await s.group.triggerGracefulShutdown()
            return try await running.value.events
        }
        // The stream ends with an error event instead of [DONE].
        #expect(events.last?.contains("shutting_down") == true, "\(events.suffix(2))")
        #expect(!events.contains("[DONE]"))
    }

    /// A second server on a port the first holds fails with an error naming the address, not NIO's
    /// `bind(descriptor:ptr:bytes:)`; so does a host name that does not resolve.
    @Test func anAddressThatCannotBeListenedOnIsNamed() async throws {
        try await TestServer.with { s in
            let (model, tokenizer) = try TestModel.loaded()
            var logger = Logger(label: "scope.serve.test.second")
            logger.logLevel = .critical
            for (host, port, words) in [("127.0.0.1", s.port, "already in use"), ("nonexistent.invalid", 0, "does not resolve")] {
                let scheduler = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: 1, kvBudgetBytes: nil, maxQueue: 4)
                let configuration = ServerConfiguration(host: host, port: port, apiKey: nil, modelID: "second", maxBodyBytes: 1 << 20,
                                                        shutdownGrace: .seconds(1))
                let server = OpenAIServer(scheduler: scheduler, model: model, tokenizer: tokenizer, configuration: configuration,
                                          logger: logger)
                let group = ServiceGroup(configuration: .init(services: [ServerRunner(server: server)], logger: logger))
                do {
                    try await group.run()
                    Issue.record("a second server listened on \(host):\(port)")
                } catch let error as ListenError {
                    #expect(error.description.contains("\(host):\(port)") && error.description.contains(words), "\(error)")
                } catch {
                    Issue.record("not a ListenError: \(error)")
                }
                await scheduler.shutdown(grace: .zero)
            }
            // The first server still answers.
            #expect(try await s.send(.GET, "/health").status == 200)
        }
    }
}
