import Foundation
import ScopeTestSupport
import NIOHTTP1
import Testing

/// Every kind of bad request gets a 4xx in OpenAI's error shape and leaves the server serving.
@Suite(.serialized, .needsDefaultModel)
struct BadInputTests {
    static let chat = "/v1/chat/completions"
    static var messages: [[String: Any]] { [["role": "user", "content": "Hi"]] }

    /// Checks the status and the error object: message non-empty, type, and param when given.
    static func expectError(_ r: (status: Int, headers: HTTPHeaders, body: String), status: Int, param: String?? = nil,
                            code: String? = nil, messageContains: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "body: \(r.body)", sourceLocation: sourceLocation)
        let json = (try? JSONSerialization.jsonObject(with: Data(r.body.utf8))) as? [String: Any]
        let error = json?["error"] as? [String: Any]
        #expect(error != nil, "no error object in \(r.body)", sourceLocation: sourceLocation)
        guard let error else { return }
        #expect((error["message"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(error["type"] is String, sourceLocation: sourceLocation)
        #expect(error.keys.contains("param") && error.keys.contains("code"), sourceLocation: sourceLocation)
        if let param { #expect(error["param"] as? String == param, "error: \(error)", sourceLocation: sourceLocation) }
        if let code { #expect(error["code"] as? String == code, "error: \(error)", sourceLocation: sourceLocation) }
        for part in messageContains {
            #expect((error["message"] as? String)?.contains(part) == true, "message: \(error["message"] ?? "")",
                    sourceLocation: sourceLocation)
        }
    }

    static func body(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test func malformedAndMistypedBodies() async throws {
        try await TestServer.with(maxBodyBytes: 64 << 10) { s in
            Self.expectError(try await s.send(.POST, Self.chat, json: #"{"messages": [{"role": "user", "content": "Hi"}"#),
                             status: 400, code: "invalid_json")
            Self.expectError(try await s.send(.POST, Self.chat, json: #"{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2, "max_tokens": 4000}"#),
                             status: 400, param: "max_tokens", code: "duplicate_key")
            Self.expectError(try await s.send(.POST, Self.chat, json: "[1, 2, 3]"), status: 400)
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages, "max_tokens": "ten"])),
                             status: 400, param: "max_tokens", messageContains: ["integer", "string"])
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": "Hi"])), status: 400, param: "messages")
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages, "temperature": "hot"])),
                             status: 400, param: "temperature")
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages, "stream": 1])),
                             status: 400, param: "stream")
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": [["role": "user", "content": 5]]])),
                             status: 400, param: "messages[0].content")
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": [["role": "wizard", "content": "x"]]])),
                             status: 400, param: "messages[0].role")
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages, "stop": [1]])),
                             status: 400, param: "stop")
            Self.expectError(try await s.send(.POST, "/v1/completions", json: Self.body(["prompt": [1, "a"]])),
                             status: 400, param: "prompt")
            Self.expectError(try await s.send(.POST, "/v1/completions", json: Self.body(["prompt": [999_999_999]])),
                             status: 400, param: "prompt", messageContains: ["vocabulary"])
        }
    }

    @Test func missingAndEmptyFields() async throws {
        try await TestServer.with { s in
            Self.expectError(try await s.send(.POST, Self.chat, json: "{}"), status: 400, param: "messages",
                             code: "missing_required_parameter")
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": []])), status: 400, param: "messages")
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": [["role": "user"]]])),
                             status: 400, param: "messages[0].content")
            Self.expectError(try await s.send(.POST, "/v1/completions", json: "{}"), status: 400, param: "prompt")
            Self.expectError(try await s.send(.POST, "/v1/completions", json: Self.body(["prompt": ""])), status: 400, param: "prompt")
        }
    }

    @Test func invalidGenerationSettings() async throws {
        try await TestServer.with { s in
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages, "max_tokens": 0])),
                             status: 400, param: "max_tokens")
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages, "max_completion_tokens": -3])),
                             status: 400, param: "max_completion_tokens")
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages, "n": 0])),
                             status: 400, param: "n")
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages, "top_p": 0])),
                             status: 400, param: "top_p")
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages, "temperature": 3])),
                             status: 400, param: "temperature")
            let context = try TestModel.loaded().model.config.contextLength
            let r = try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages, "max_tokens": context]))
            // The prompt's length: both numbers appear in the message, as OpenAI words it.
            let promptLength = try TestModel.chatTokens("Hi").count
            Self.expectError(r, status: 400, param: "messages", code: "context_length_exceeded",
                             messageContains: ["\(context)", "\(promptLength) in the messages", "\(context) in the completion"])
            // prompt + max_tokens past Int.max: refused the same way, not an overflow.
            let huge = try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages, "max_tokens": Int.max]))
            Self.expectError(huge, status: 400, param: "messages", code: "context_length_exceeded",
                             messageContains: ["more than \(Int.max)", "\(Int.max) in the completion"])
        }
    }

    @Test func invalidCompression() async throws {
        try await TestServer.with { s in
            func send(_ kv: Any) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
                try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages, "kv_compression": kv]))
            }
            Self.expectError(try await send(["prefill": "h3o"]), status: 400, param: "kv_compression.prefill",
                             code: "invalid_kv_compression", messageContains: ["h3o", "h2o"])
            Self.expectError(try await send(["decoding": "sliding"]), status: 400, param: "kv_compression.decoding")
            Self.expectError(try await send(["prefil": "h2o"]), status: 400, param: "kv_compression.prefil")
            Self.expectError(try await send(["prefill": "h2o", "prefill_budget": "big"]), status: 400,
                             param: "kv_compression.prefill_budget")
            Self.expectError(try await send(["prefill": "h2o", "prefill_budget": 0]), status: 400,
                             param: "kv_compression.prefill_budget")
            Self.expectError(try await send(["prefill": "h2o", "prefill_budget": 8, "window": 8]), status: 400,
                             param: "kv_compression", messageContains: ["kv_compression.window", "kv_compression.prefill_budget"])
            Self.expectError(try await send(["decoding": "slide", "decoding_window": 64, "recent": 64]), status: 400,
                             messageContains: ["kv_compression.decoding_window", "kv_compression.recent"])
            Self.expectError(try await send("h2o"), status: 400, param: "kv_compression")
        }
    }

    @Test func sizeKeyAndRoute() async throws {
        try await TestServer.with(apiKey: "sekret", maxBodyBytes: 16 << 10) { s in
            let auth = [("Authorization", "Bearer sekret")]
            let big = Self.body(["messages": [["role": "user", "content": String(repeating: "a", count: 20_000)]]])
            Self.expectError(try await s.send(.POST, Self.chat, json: big, headers: auth), status: 413, messageContains: ["\(16 << 10)"])
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages])), status: 401,
                             code: "invalid_api_key")
            Self.expectError(try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages]),
                                              headers: [("Authorization", "Bearer wrong")]), status: 401)
            Self.expectError(try await s.send(.GET, "/v1/nothing-here", headers: auth), status: 404)
            Self.expectError(try await s.send(.POST, "/v2/chat", json: "{}"), status: 404)
            // /health and /metrics stay open; a correct key is served.
            #expect(try await s.send(.GET, "/health").status == 200)
            let ok = try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages, "max_tokens": 2]), headers: auth)
            #expect(ok.status == 200)
            let models = try await s.send(.GET, "/v1/models", headers: auth)
            #expect(models.status == 200 && models.body.contains("smollm2-test"))
            #expect(try await s.metric(#"scope_requests_total{route="chat_completions",status="401"}"#) == 2)
            #expect(try await s.metric(#"scope_requests_total{route="chat_completions",status="413"}"#) == 1)
        }
    }

    @Test func fullQueueIsAnswered429WithRetryAfter() async throws {
        // One running sequence and one waiting: the next request is refused at once.
        try await TestServer.with(parallel: 1, maxQueue: 1) { s in
            let long = Self.body(["prompt": "1, 2, 3, 4, 5, 6,", "max_tokens": 3000, "stream": true])
            let first = Task { try await s.send(.POST, "/v1/completions", json: long) }
            #expect(try await s.waitForMetrics { $0["scope_running_sequences"] == 1 })
            let second = Task { try await s.send(.POST, "/v1/completions", json: long) }
            #expect(try await s.waitForMetrics { $0["scope_queue_depth"] == 1 })
            let refused = try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages, "max_tokens": 2]))
            Self.expectError(refused, status: 429, code: "queue_full")
            #expect(refused.headers.first(name: "Retry-After") != nil)
            first.cancel()
            second.cancel()
            #expect(try await s.waitForMetrics { $0["scope_running_sequences"] == 0 && $0["scope_queue_depth"] == 0 })
            // Served again once the first one is gone.
            #expect(try await s.send(.POST, Self.chat, json: Self.body(["messages": Self.messages, "max_tokens": 2])).status == 200)
        }
    }
}
