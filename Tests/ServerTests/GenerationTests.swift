import Foundation
import KVCache
import ScopeTestSupport
import Testing

/// Chat and completions over HTTP, checked against the engine's `Generator` on the same prompt and
/// compression (greedy decoding must give the same tokens).
@Suite(.serialized, .needsDefaultModel)
struct GenerationTests {
    static let question = "Name three colours of the rainbow."
    /// A compression that really compresses this short prompt and the generated tokens.
    static var compressionJSON: [String: Any] { ["prefill": "h2o", "prefill_budget": 16, "window": 4,
                                                 "decoding": "slide", "decoding_window": 12, "recent": 4] }
    static let compression = CompressionConfig(prefill: .h2o, decoding: .slide, prefillBudget: 16, window: 4,
                                               decodingWindow: 12, recent: 4)

    @Test func chatMatchesGeneratorWithCompression() async throws {
        let reference = try TestModel.reference(prompt: try TestModel.chatTokens(Self.question), maxTokens: 40,
                                                compression: Self.compression)
        try await TestServer.with { server in
            let r = try await server.post("/v1/chat/completions", [
                "model": "x", "messages": [["role": "user", "content": Self.question]], "max_tokens": 40,
                "temperature": 0, "kv_compression": Self.compressionJSON,
            ])
            #expect(r.status == 200)
            #expect(r.json[path: "object"] as? String == "chat.completion")
            #expect(r.json[path: "choices.0.message.role"] as? String == "assistant")
            #expect(r.json[path: "choices.0.message.content"] as? String == reference.text)
            #expect(r.json[path: "choices.0.finish_reason"] as? String == (reference.stoppedOnEndOfGeneration ? "stop" : "length"))
            #expect(r.json[path: "usage.completion_tokens"] as? Int == reference.tokens.count)
            #expect(r.json[path: "usage.prompt_tokens"] as? Int == reference.stats.promptTokens)
            #expect(r.json[path: "usage.total_tokens"] as? Int == reference.stats.promptTokens + reference.tokens.count)
            #expect(r.json[path: "kv.bytes_peak"] as? Int == reference.stats.kvBytesPeak)
            #expect(r.json[path: "kv.tokens_per_layer_final"] as? Int == reference.stats.kvTokensPerLayer.max())
        }
    }

    @Test func streamingChatMatchesGenerator() async throws {
        let reference = try TestModel.reference(prompt: try TestModel.chatTokens(Self.question), maxTokens: 32)
        try await TestServer.with { server in
            let r = try await server.stream("/v1/chat/completions", [
                "messages": [["role": "user", "content": Self.question]], "max_completion_tokens": 32, "stream": true,
                "stream_options": ["include_usage": true],
            ])
            #expect(r.status == 200)
            #expect(r.events.last == "[DONE]")
            let chunks = r.events.dropLast().compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
            #expect(chunks.count == r.events.count - 1)
            #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
            #expect(chunks.first?[path: "choices.0.delta.role"] as? String == "assistant")
            let text = chunks.compactMap { $0[path: "choices.0.delta.content"] as? String }.joined()
            #expect(text == reference.text)
            let finishes = chunks.compactMap { $0[path: "choices.0.finish_reason"] as? String }
            #expect(finishes == [reference.stoppedOnEndOfGeneration ? "stop" : "length"])
            let usage = chunks.last
            #expect((usage?["choices"] as? [Any])?.isEmpty == true)
            #expect(usage?[path: "usage.completion_tokens"] as? Int == reference.tokens.count)
            #expect(usage?[path: "kv.bytes_peak"] as? Int == reference.stats.kvBytesPeak)
        }
    }

    @Test func completionsFromTextAndFromTokenList() async throws {
        let tokenizer = try TestModel.loaded().tokenizer
        let prompt = "The capital of France is"
        let ids = tokenizer.encode(prompt, addSpecial: true, parseSpecial: true)
        let reference = try TestModel.reference(prompt: ids, maxTokens: 12, skipSpecial: false)
        let expected = TestModel.serverText(reference)
        try await TestServer.with { server in
            let fromText = try await server.post("/v1/completions", ["prompt": prompt, "max_tokens": 12])
            #expect(fromText.status == 200)
            #expect(fromText.json[path: "object"] as? String == "text_completion")
            #expect(fromText.json[path: "choices.0.text"] as? String == expected)
            let fromTokens = try await server.post("/v1/completions", ["prompt": ids.map { Int($0) }, "max_tokens": 12])
            #expect(fromTokens.json[path: "choices.0.text"] as? String == expected)
            #expect(fromTokens.json[path: "usage.prompt_tokens"] as? Int == ids.count)
            let streamed = try await server.stream("/v1/completions", ["prompt": prompt, "max_tokens": 12, "stream": true])
            let text = streamed.events.dropLast().compactMap {
                ((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any])?[path: "choices.0.text"] as? String
            }.joined()
            #expect(text == expected)
            #expect(streamed.events.last == "[DONE]")
        }
    }

    @Test func stopStringCutsTheTextAndEndsTheSequence() async throws {
        let reference = try TestModel.reference(prompt: try TestModel.chatTokens(Self.question), maxTokens: 40)
        // A stop string from the middle of the greedy answer.
        let words = reference.text.split(separator: " ")
        try #require(words.count >= 4)
        let stop = " " + words[2]
        let expected = String(reference.text[..<reference.text.range(of: stop)!.lowerBound])
        try await TestServer.with { server in
            let body: [String: Any] = ["messages": [["role": "user", "content": Self.question]], "max_tokens": 40,
                                       "stop": [stop, "never-generated-xyz"]]
            let r = try await server.post("/v1/chat/completions", body)
            #expect(r.json[path: "choices.0.message.content"] as? String == expected)
            #expect(r.json[path: "choices.0.finish_reason"] as? String == "stop")
            #expect((r.json[path: "usage.completion_tokens"] as? Int ?? 99) < reference.tokens.count)
            var streaming = body
            streaming["stream"] = true
            let s = try await server.stream("/v1/chat/completions", streaming)
            let text = s.events.dropLast().compactMap {
                ((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any])?[path: "choices.0.delta.content"] as? String
            }.joined()
            #expect(text == expected)
            #expect(s.events.last == "[DONE]")
            #expect(try await server.waitForMetrics { $0["scope_running_sequences"] == 0 && $0["scope_kv_bytes_in_use"] == 0 })
        }
    }

    @Test func eightConcurrentRequestsEachMatchTheirOwnReference() async throws {
        let questions = (0..<8).map { "Write one sentence about the number \($0 + 1)." }
        let references = try questions.enumerated().map { i, q in
            try TestModel.reference(prompt: try TestModel.chatTokens(q), maxTokens: 16 + 2 * i)
        }
        try await TestServer.with(parallel: 4) { server in
            let answers = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for (i, q) in questions.enumerated() {
                    group.addTask {
                        let r = try await server.post("/v1/chat/completions", [
                            "messages": [["role": "user", "content": q]], "max_tokens": 16 + 2 * i,
                        ])
                        return (i, r.json[path: "choices.0.message.content"] as? String)
                    }
                }
                var answers = [String?](repeating: nil, count: questions.count)
                for try await (i, text) in group { answers[i] = text }
                return answers
            }
            for i in 0..<questions.count { #expect(answers[i] == references[i].text, "request \(i)") }
            #expect(try await server.metric(#"scope_requests_total{route="chat_completions",status="200"}"#) == 8)
        }
    }

    @Test(.needsScopeExecutable)
    func chatEqualsScopeGenerate() async throws {
        let flags = ["--prefill", "h2o", "--prefill-budget", "16", "--window", "4", "--decoding", "slide",
                     "--decoding-window", "12", "--recent", "4"]
        let run = try #require(try ScopeExecutable.run(["generate", "--chat", Self.question, "--max-tokens", "24", "--json"] + flags))
        #expect(run.status == 0, "\(run.stderr)")
        let cli = try #require(try JSONSerialization.jsonObject(with: run.stdoutData) as? [String: Any])
        try await TestServer.with { server in
            let r = try await server.post("/v1/chat/completions", [
                "messages": [["role": "user", "content": Self.question]], "max_tokens": 24, "kv_compression": Self.compressionJSON,
            ])
            #expect(r.json[path: "choices.0.message.content"] as? String == cli["text"] as? String)
            #expect(r.json[path: "usage.completion_tokens"] as? Int == (cli["tokens"] as? [Any])?.count)
            #expect(r.json[path: "kv.bytes_peak"] as? Int == cli[path: "stats.kv_bytes_peak"] as? Int)
        }
    }
}
