import Foundation
import Generation
import JSONStrict
import ScopeTestSupport
import Testing

/// `n` choices per prompt and several prompts, whole and streamed: choice p·n + i is prompt p sampled
/// with seed + i, exactly what `Generator` gives that prompt alone with that seed.
@Suite(.serialized, .needsDefaultModel)
struct ChoicesTests {
    static let question = "Write one sentence about the sea."
    static let sampling = (temperature: 1.0, topP: 0.95, seed: 5)

    /// Generator's text for `prompt` sampled with seed `seed` (the end-of-generation token's text left out, as the server does).
    static func reference(_ prompt: [Int32], seed: Int, maxTokens: Int, skipSpecial: Bool) throws -> (text: String, stopped: Bool) {
        let options = SamplingOptions(temperature: Float(sampling.temperature), topP: Float(sampling.topP), seed: UInt64(seed))
        let r = try TestModel.reference(prompt: prompt, maxTokens: maxTokens, sampling: options, skipSpecial: skipSpecial)
        return (skipSpecial ? r.text : TestModel.serverText(r), r.stoppedOnEndOfGeneration)
    }

    static func decode(_ events: [String]) -> [[String: Any]] {
        events.dropLast().compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
    }

    @Test func chatChoicesAreTheSeedsInTurn() async throws {
        let prompt = try TestModel.chatTokens(Self.question)
        let expected = try (0..<3).map { try Self.reference(prompt, seed: Self.sampling.seed + $0, maxTokens: 24, skipSpecial: true) }
        // Three seeds at temperature 1 giving one text would mean the seed is not used.
        #expect(Set(expected.map(\.text)).count > 1)
        let body: [String: Any] = ["messages": [["role": "user", "content": Self.question]], "max_tokens": 24, "n": 3,
                                   "temperature": Self.sampling.temperature, "top_p": Self.sampling.topP, "seed": Self.sampling.seed]
        try await TestServer.with { server in
            let r = try await server.post("/v1/chat/completions", body)
            #expect(r.status == 200)
            let choices = r.json["choices"] as? [[String: Any]] ?? []
            #expect(choices.compactMap { $0["index"] as? Int } == [0, 1, 2])
            #expect(choices.map { $0[path: "message.content"] as? String } == expected.map(\.text))
            #expect(choices.map { $0["finish_reason"] as? String } == expected.map { $0.stopped ? "stop" : "length" })
            // The prompt counts once; every choice's tokens count. Choice 0 ran the prompt, 1 and 2
            // started from the prompt cache: the request's prompt was computed, so none is "cached".
            #expect(r.json[path: "usage.prompt_tokens"] as? Int == prompt.count)
            #expect(r.json[path: "usage.prompt_tokens_details.cached_tokens"] as? Int == 0)

            var streamed = body
            streamed["stream"] = true
            streamed["stream_options"] = ["include_usage": true]
            let s = try await server.stream("/v1/chat/completions", streamed)
            #expect(s.status == 200 && s.events.last == "[DONE]")
            let chunks = Self.decode(s.events)
            // Each choice: its role chunk first (all before any text), its text in order, one finish chunk.
            #expect(chunks.prefix(3).compactMap { $0[path: "choices.0.delta.role"] as? String } == ["assistant", "assistant", "assistant"])
            #expect(chunks.prefix(3).compactMap { $0[path: "choices.0.index"] as? Int } == [0, 1, 2])
            for i in 0..<3 {
                let mine = chunks.filter { $0[path: "choices.0.index"] as? Int == i }
                #expect(mine.compactMap { $0[path: "choices.0.delta.content"] as? String }.joined() == expected[i].text)
                #expect(mine.compactMap { $0[path: "choices.0.finish_reason"] as? String } == [expected[i].stopped ? "stop" : "length"])
            }
            #expect(chunks.last?[path: "usage.prompt_tokens"] as? Int == prompt.count)
            #expect(chunks.last?[path: "usage.completion_tokens"] as? Int == r.json[path: "usage.completion_tokens"] as? Int)
            // The same prompt again: all three choices start from the prompt cache (same texts above).
            #expect(chunks.last?[path: "usage.prompt_tokens_details.cached_tokens"] as? Int == prompt.count)
            #expect(try await server.metric("scope_prompt_cached_tokens_total") == Double(5 * prompt.count))
            #expect(try await server.metric("scope_prompt_cache_entries") == 1)
        }
    }

    /// Two prompts × two choices, streamed: choice p·2 + i is prompt p with seed + i.
    @Test func streamedCompletionsWithSeveralPromptsAndChoices() async throws {
        let tokenizer = try TestModel.loaded().tokenizer
        let texts = ["The best thing about winter is", "My favourite animal is"]
        let prompts = texts.map { tokenizer.encode($0, addSpecial: true, parseSpecial: true) }
        let expected = try prompts.flatMap { prompt in
            try (0..<2).map { try Self.reference(prompt, seed: Self.sampling.seed + $0, maxTokens: 16, skipSpecial: false) }
        }
        try await TestServer.with { server in
            let s = try await server.stream("/v1/completions", [
                "prompt": texts, "max_tokens": 16, "n": 2, "temperature": Self.sampling.temperature, "top_p": Self.sampling.topP,
                "seed": Self.sampling.seed, "stream": true, "stream_options": ["include_usage": true],
            ])
            #expect(s.status == 200 && s.events.last == "[DONE]")
            let chunks = Self.decode(s.events)
            #expect(chunks.count == s.events.count - 1)
            for (c, want) in expected.enumerated() {
                let mine = chunks.filter { $0[path: "choices.0.index"] as? Int == c }
                #expect(mine.compactMap { $0[path: "choices.0.text"] as? String }.joined() == want.text, "choice \(c)")
                #expect(mine.compactMap { $0[path: "choices.0.finish_reason"] as? String } == [want.stopped ? "stop" : "length"])
            }
            #expect(chunks.last?[path: "usage.prompt_tokens"] as? Int == prompts.map(\.count).reduce(0, +))
            #expect(try await server.waitForMetrics { $0["scope_running_sequences"] == 0 && $0["scope_kv_bytes_in_use"] == 0 })
        }
    }

    /// The choices of each chat request in turn, as (content, finish reason).
    static func chatChoices(_ server: TestServer, _ requests: [[String: Any]]) async throws -> [(String, String)] {
        var texts: [(String, String)] = []
        for request in requests {
            let r = try await server.post("/v1/chat/completions", request)
            #expect(r.status == 200)
            for choice in r.json["choices"] as? [[String: Any]] ?? [] {
                texts.append((choice[path: "message.content"] as? String ?? "", choice["finish_reason"] as? String ?? ""))
            }
        }
        return texts
    }

    /// `response_format: json_object`: greedy and two sampled choices, whole and streamed; each that
    /// ends with "stop" is one JSON object (checked by the strict parser).
    @Test func jsonObjectChoices() async throws {
        let body: [String: Any] = ["messages": [["role": "user", "content": "Describe a cat as a JSON object with name, age and colour."]],
                                   "max_tokens": 160, "n": 2, "temperature": 0.8, "seed": 3,
                                   "response_format": ["type": "json_object"]]
        var greedy = body
        greedy["n"] = 1
        greedy["temperature"] = 0
        try await TestServer.with { server in
            let texts = try await Self.chatChoices(server, [greedy, body])
            var streamed = body
            streamed["stream"] = true
            let s = try await server.stream("/v1/chat/completions", streamed)
            var parts = ["", ""]
            for chunk in Self.decode(s.events) {
                guard let i = chunk[path: "choices.0.index"] as? Int, let text = chunk[path: "choices.0.delta.content"] as? String else { continue }
                parts[i] += text
            }
            #expect(texts.count == 3)
            #expect(parts == texts.dropFirst().map(\.0), "streamed choices equal the whole ones")
            #expect(texts[0].1 == "stop", "the greedy answer closes its object: \(texts[0].0)")
            for (text, finish) in texts where finish == "stop" {
                guard case .object? = try? JSONParser.parse(Array(text.utf8)) else {
                    Issue.record("not a JSON object: \(text)")
                    continue
                }
            }
        }
    }

    /// `response_format: json_schema`: greedy and two sampled choices; each that ends with "stop" is
    /// an instance of the schema (the required keys, an integer age, a colour of the enum, no other key).
    @Test func jsonSchemaChoices() async throws {
        let schema: [String: Any] = ["type": "object", "additionalProperties": false, "required": ["name", "age", "colour"],
                                     "properties": ["name": ["type": "string"], "age": ["type": "integer"],
                                                    "colour": ["enum": ["black", "white", "ginger"]]]]
        let body: [String: Any] = ["messages": [["role": "user", "content": "Describe a cat as a JSON object with name, age and colour."]],
                                   "max_tokens": 120, "n": 2, "temperature": 0.8, "seed": 5,
                                   "response_format": ["type": "json_schema", "json_schema": ["name": "cat", "strict": true, "schema": schema]]]
        var greedy = body
        greedy["n"] = 1
        greedy["temperature"] = 0
        try await TestServer.with { server in
            let texts = try await Self.chatChoices(server, [greedy, body])
            #expect(texts.count == 3)
            #expect(texts[0].1 == "stop", "the greedy answer closes its object: \(texts[0].0)")
            for (text, finish) in texts where finish == "stop" {
                guard case .object(let o)? = try? JSONParser.parse(Array(text.utf8)) else {
                    Issue.record("not a JSON object: \(text)")
                    continue
                }
                #expect(Set(o.keys) == ["name", "age", "colour"], "\(text)")
                if case .string? = o["name"], case .integer? = o["age"], case .string(let c)? = o["colour"], ["black", "white", "ginger"].contains(c) {
                } else {
                    Issue.record("not an instance of the schema: \(text)")
                }
            }
            let bad = try await server.post("/v1/chat/completions", ["messages": [["role": "user", "content": "x"]],
                                                                     "response_format": ["type": "json_schema", "json_schema": ["name": "x", "schema": ["type": "object", "properties": ["a": ["type": "string", "format": "email", "maxLength": 3]]]]]])
            #expect(bad.status == 400 && bad.json[path: "error.param"] as? String == "response_format.json_schema.schema.properties.a.maxLength",
                    "\(bad.json)")
        }
    }

    /// Penalties and a bias through the server equal `Generator` with the same options, and
    /// change the answer; a bias of +100 forces its token; a biased id outside the vocabulary is a 400.
    @Test func penaltiesAndBiasMatchGenerator() async throws {
        let tokenizer = try TestModel.loaded().tokenizer
        let text = "List the days of the week, then list them again:"
        let prompt = tokenizer.encode(text, addSpecial: true, parseSpecial: true)
        let plain = try TestModel.reference(prompt: prompt, maxTokens: 40, skipSpecial: false)
        var options = SamplingOptions.greedy
        options.frequencyPenalty = 1.5
        options.presencePenalty = 0.5
        options.repetitionPenalty = 1.3
        options.logitBias = [plain.tokens[0]: -100]
        let changed = try TestModel.reference(prompt: prompt, maxTokens: 40, sampling: options, skipSpecial: false)
        #expect(changed.tokens != plain.tokens && changed.tokens[0] != plain.tokens[0])
        try await TestServer.with { server in
            let r = try await server.post("/v1/completions", [
                "prompt": text, "max_tokens": 40, "frequency_penalty": 1.5, "presence_penalty": 0.5, "repetition_penalty": 1.3,
                "logit_bias": [String(plain.tokens[0]): -100], "ignore_eos": false,
            ])
            #expect(r.status == 200)
            #expect(r.json[path: "choices.0.text"] as? String == (TestModel.serverText(changed)))
            let comma = try #require(tokenizer.id(of: ","))
            let forced = try await server.post("/v1/completions", ["prompt": text, "max_tokens": 5, "logit_bias": [String(comma): 100]])
            #expect(forced.json[path: "choices.0.text"] as? String == ",,,,,")
            let outside = try await server.post("/v1/completions", ["prompt": text, "logit_bias": ["99999999": 1]])
            #expect(outside.status == 400 && outside.json[path: "error.param"] as? String == "logit_bias")
        }
    }

    /// Without a seed, each request draws its own: the same sampled request twice gives different texts.
    @Test func requestsWithoutSeedDiffer() async throws {
        try await TestServer.with { server in
            var texts: [String] = []
            for _ in 0..<2 {
                let r = try await server.post("/v1/completions", ["prompt": "Once upon a time", "max_tokens": 24, "temperature": 1.0,
                                                                  "ignore_eos": true])
                texts.append(r.json[path: "choices.0.text"] as? String ?? "")
            }
            // 24 tokens at temperature 1: two draws agree only if the seed is fixed.
            #expect(texts[0] != texts[1])
        }
    }
}
