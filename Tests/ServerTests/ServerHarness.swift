import Foundation
import Generation
import GGUF
import KVCache
import Logging
import Model
import NIOCore
import NIOHTTP1
import ScopeTestSupport
import Server
import ServiceLifecycle
import Testing
import Tokenizer

/// The default model, loaded once for all server tests. The suites carry `.needsDefaultModel`, so a
/// missing model is a visible skip (a failure under SCOPE_REQUIRE_PREREQUISITES=1), never an early return.
enum TestModel {
    private static let cached = Result { () throws -> (model: LlamaModel, tokenizer: Tokenizer) in
        guard let path = DefaultModel.path() else {
            throw TestServerError("the default model \(DefaultModel.fileName) is not available (scripts/fetch-model.sh)")
        }
        let file = try GGUFFile(path: path)
        return (try LlamaModel(file: file), try Tokenizer(gguf: file))
    }

    /// The model and its tokenizer; throws (failing the test) when the model cannot be loaded.
    static func loaded() throws -> (model: LlamaModel, tokenizer: Tokenizer) { try cached.get() }

    /// The reference: `Generator` (what `scope generate` runs) on one sequence, greedy unless `sampling` says otherwise.
    static func reference(prompt: [Int32], maxTokens: Int, sampling: SamplingOptions = .greedy, compression: CompressionConfig = .fullKV,
                          skipSpecial: Bool = true) throws -> GenerationResult {
        let (model, tokenizer) = try loaded()
        let cache = try KVCache(shape: model.cacheShape, config: compression, maxNewTokens: maxTokens)
        return try Generator(model: model, tokenizer: tokenizer)
            .generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling, cache: cache, skipSpecialInText: skipSpecial)
    }

    /// A completions answer's text as the server sends it: a reference generated with special
    /// tokens kept, without the end-of-generation token's text (OpenAI shows none).
    static func serverText(_ reference: GenerationResult) -> String {
        let endText = reference.stoppedOnEndOfGeneration ? reference.tokens.last.flatMap { try? loaded().tokenizer.tokenText($0) } : nil
        return String(reference.text.dropLast(endText?.count ?? 0))
    }

    /// Chat prompt ids as `scope generate --chat` builds them.
    static func chatTokens(_ user: String) throws -> [Int32] {
        let tokenizer = try loaded().tokenizer
        let text = try tokenizer.chatTemplate().render([.user(user)], addGenerationPrompt: true)
        return tokenizer.encode(text, addSpecial: true, parseSpecial: true)
    }
}

/// A server on an ephemeral loopback port, started for one test and shut down gracefully after it.
struct TestServer: Sendable {
    let port: Int
    let group: ServiceGroup

    static func with<T: Sendable>(parallel: Int = 4, kvBudgetBytes: Int? = nil, maxQueue: Int? = 64, apiKey: String? = nil,
                                  maxBodyBytes: Int = 1 << 20, shutdownGrace: Duration = .seconds(30 * TimeScale.factor),
                                  _ body: (TestServer) async throws -> T) async throws -> T {
        let (model, tokenizer) = try TestModel.loaded()
        // The prompt cache on, as `scope serve` has it: the n choices of a prompt start from one prefill.
        let scheduler = try BatchScheduler(model: model, tokenizer: tokenizer, parallel: parallel, kvBudgetBytes: kvBudgetBytes,
                                       maxQueue: maxQueue, promptCacheBytes: 64 << 20)
        var logger = Logger(label: "scope.serve.test")
        logger.logLevel = .warning
        let configuration = ServerConfiguration(host: "127.0.0.1", port: 0, apiKey: apiKey, modelID: "smollm2-test",
                                                maxBodyBytes: maxBodyBytes, shutdownGrace: shutdownGrace)
        let server = OpenAIServer(scheduler: scheduler, model: model, tokenizer: tokenizer, configuration: configuration,
                                  logger: logger)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let runner = ServerRunner(server: server) { port in portContinuation.yield(port) }
        let group = ServiceGroup(configuration: .init(services: [runner], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestServerError("the server did not start") }
            do {
                let result = try await body(TestServer(port: port, group: group))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    /// One request; the whole body as text.
    func send(_ method: HTTPMethod = .POST, _ path: String, json: String? = nil, headers: [(String, String)] = [])
        async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        let all = json == nil ? headers : headers + [("Content-Type", "application/json")]
        return try await TestHTTPClient.exchange(port: port, method: method, path: path, headers: all,
                                                 body: json.map { ByteBuffer(string: $0) }) { response in
            (response.status, response.headers, try await response.text())
        }
    }

    /// A JSON request decoded to a dictionary.
    func post(_ path: String, _ object: [String: Any], headers: [(String, String)] = []) async throws -> (status: Int, json: [String: Any], headers: HTTPHeaders) {
        let data = try JSONSerialization.data(withJSONObject: object)
        let r = try await send(.POST, path, json: String(decoding: data, as: UTF8.self), headers: headers)
        let json = (try? JSONSerialization.jsonObject(with: Data(r.body.utf8))) as? [String: Any] ?? [:]
        return (r.status, json, r.headers)
    }

    /// A streaming request: the `data:` payloads in order (the last is `[DONE]` when the stream completed).
    func stream(_ path: String, _ object: [String: Any]) async throws -> (status: Int, events: [String]) {
        let data = try JSONSerialization.data(withJSONObject: object)
        let r = try await send(.POST, path, json: String(decoding: data, as: UTF8.self))
        let events = r.body.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { line -> String in
            line.hasPrefix("data: ") ? String(line.dropFirst(6)) : "NOT-AN-EVENT: " + line
        }
        return (r.status, events)
    }

    /// The value of one Prometheus sample (`name` or `name{labels}`), 0 when absent.
    func metric(_ sample: String) async throws -> Double {
        let text = try await send(.GET, "/metrics").body
        for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.split(separator: " ").last!) ?? .nan
        }
        return 0
    }

    /// Polls `/metrics` until `condition` holds (at most `attempts` × `TimeScale.factor` polls, 50 ms
    /// apart); returns whether it did.
    /// When it never held, records the last samples seen (counters and gauges, not histogram
    /// buckets), so a failure says which figure was off.
    func waitForMetrics(attempts: Int = 400, sourceLocation: SourceLocation = #_sourceLocation,
                        _ condition: @escaping ([String: Double]) -> Bool) async throws -> Bool {
        var values: [String: Double] = [:]
        let attempts = attempts * TimeScale.factor
        for _ in 0..<attempts {
            values = [:]
            let text = try await send(.GET, "/metrics").body
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                if parts.count == 2 { values[String(parts[0])] = Double(parts[1]) }
            }
            if condition(values) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        let last = values.filter { !$0.key.contains("_bucket") }.sorted { $0.key < $1.key }
            .map { "\($0.key) = \($0.value)" }.joined(separator: ", ")
        Issue.record("the metrics condition did not hold after \(attempts) polls; last seen: \(last)", sourceLocation: sourceLocation)
        return false
    }
}

struct TestServerError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// JSON helpers for responses.
extension Dictionary where Key == String, Value == Any {
    subscript(path path: String) -> Any? {
        var current: Any? = self
        for part in path.split(separator: ".") {
            if let index = Int(part) { current = (current as? [Any]).flatMap { index < $0.count ? $0[index] : nil } }
            else { current = (current as? [String: Any])?[String(part)] }
        }
        return current
    }
}
