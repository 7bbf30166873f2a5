import Foundation
import KVCache
import ScopeTestSupport
import Testing

/// `logprobs` over HTTP against an independent computation: one forward pass over the prompt and the
/// generated tokens on a full cache, the logits of every position, and log softmax written out here
/// in double precision. The server's values come from its batched decoding steps, so they agree to
/// rounding, not to the bit.
@Suite(.serialized, .needsDefaultModel)
struct LogprobsTests {
    static let tolerance = 2e-3

    /// Row i: the log-probabilities of every token at generated position i.
    static func referenceRows(prompt: [Int32], generated: [Int32]) throws -> [[Double]] {
        try logSoftmaxRows(prompt + generated.dropLast(), positions: (prompt.count - 1)..<(prompt.count + generated.count - 1))
    }

    /// The log-probabilities of every token after each of `positions` of `tokens`.
    static func logSoftmaxRows(_ tokens: [Int32], positions: Range<Int>) throws -> [[Double]] {
        let (model, _) = try TestModel.loaded()
        let cache = try KVCache(shape: model.cacheShape, config: .fullKV, maxNewTokens: 1)
        let hidden = try model.forward(tokens: tokens, startPosition: 0, cache: cache)
        let vocab = model.config.vocabularySize
        let logits = model.logits(hidden: hidden, rows: positions)
        return (0..<positions.count).map { i in
            let row = logits[(i * vocab)..<((i + 1) * vocab)].map(Double.init)
            let m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            return row.map { $0 - lse }
        }
    }

    static func piece(_ id: Int32) throws -> String { String(decoding: try TestModel.loaded().tokenizer.piece(id), as: UTF8.self) }

    @Test func completionLogprobsMatchTheModel() async throws {
        let (_, tokenizer) = try TestModel.loaded()
        let prompt = tokenizer.encode("The capital of France is", addSpecial: true, parseSpecial: true)
        let reference = try TestModel.reference(prompt: prompt, maxTokens: 10)
        let generated = reference.tokens.filter { !tokenizer.endOfGeneration.contains($0) }
        let rows = try Self.referenceRows(prompt: prompt, generated: reference.tokens)
        try await TestServer.with { server in
            let r = try await server.post("/v1/completions", [
                "prompt": prompt.map { Int($0) }, "max_tokens": 10, "temperature": 0, "logprobs": 3,
            ])
            #expect(r.status == 200)
            #expect(r.json[path: "choices.0.text"] as? String == reference.text)
            let tokens = try #require(r.json[path: "choices.0.logprobs.tokens"] as? [String])
            let values = try #require(r.json[path: "choices.0.logprobs.token_logprobs"] as? [Double])
            let tops = try #require(r.json[path: "choices.0.logprobs.top_logprobs"] as? [[String: Double]])
            let offsets = try #require(r.json[path: "choices.0.logprobs.text_offset"] as? [Int])
            #expect(try tokens == generated.map(Self.piece))
            #expect(values.count == generated.count && tops.count == generated.count && offsets.count == generated.count)
            var offset = 0
            for i in 0..<min(values.count, generated.count, tops.count, offsets.count) {
                let row = rows[i]
                #expect(abs(values[i] - row[Int(generated[i])]) <= Self.tolerance, "position \(i): \(values[i]) vs \(row[Int(generated[i])])")
                // Greedy: the sampled token is the most likely, so its value is the largest listed.
                #expect(values[i] == tops[i].values.max(), "position \(i)")
                // The three listed values are the model's three largest (distinct token texts here).
                let best = row.sorted(by: >).prefix(3)
                #expect(tops[i].count == 3, "position \(i): \(tops[i])")
                for (got, want) in zip(tops[i].values.sorted(by: >), best) {
                    #expect(abs(got - want) <= Self.tolerance, "position \(i): \(got) vs \(want)")
                }
                #expect(offsets[i] == offset)
                offset += tokens[i].unicodeScalars.count
            }
        }
    }

    @Test func chatLogprobsStreamedEqualTheWholeResponse() async throws {
        let (_, tokenizer) = try TestModel.loaded()
        let prompt = try TestModel.chatTokens(GenerationTests.question)
        let reference = try TestModel.reference(prompt: prompt, maxTokens: 16)
        let generated = reference.tokens.filter { !tokenizer.endOfGeneration.contains($0) }
        let rows = try Self.referenceRows(prompt: prompt, generated: reference.tokens)
        let request: [String: Any] = ["messages": [["role": "user", "content": GenerationTests.question]], "max_tokens": 16,
                                      "logprobs": true, "top_logprobs": 2]
        try await TestServer.with { server in
            let whole = try await server.post("/v1/chat/completions", request)
            #expect(whole.status == 200)
            let content = try #require(whole.json[path: "choices.0.logprobs.content"] as? [[String: Any]])
            #expect(content.count == generated.count)
            for (i, item) in content.enumerated() where i < generated.count {
                let id = generated[i]
                #expect(item["token"] as? String == (try Self.piece(id)))
                #expect(item["bytes"] as? [Int] == tokenizer.piece(id).map { Int($0) })
                let value = try #require(item["logprob"] as? Double)
                #expect(abs(value - rows[i][Int(id)]) <= Self.tolerance, "position \(i)")
                let top = try #require(item["top_logprobs"] as? [[String: Any]])
                #expect(top.count == 2)
                #expect(top.first?["token"] as? String == item["token"] as? String, "greedy: the first alternative is the token")
                let values = top.compactMap { $0["logprob"] as? Double }
                #expect(values == values.sorted(by: >))
            }

            let streamed = try await server.stream("/v1/chat/completions", request.merging(["stream": true]) { $1 })
            #expect(streamed.events.last == "[DONE]")
            let chunks = streamed.events.dropLast().compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
            let pieces = chunks.compactMap { $0[path: "choices.0.logprobs.content"] as? [[String: Any]] }.flatMap { $0 }
            #expect(pieces.count == content.count)
            for (a, b) in zip(pieces, content) {
                #expect(a["token"] as? String == b["token"] as? String)
                #expect(a["logprob"] as? Double == b["logprob"] as? Double)
                #expect(a["bytes"] as? [Int] == b["bytes"] as? [Int])
            }
        }
    }

    /// With a stop string the list runs to the token that completed it: as many entries as
    /// `completion_tokens`, their texts starting with the answer, streamed or not.
    @Test func aStopStringEndsTheListWhereTheCountEnds() async throws {
        let reference = try TestModel.reference(prompt: try TestModel.chatTokens(GenerationTests.question), maxTokens: 40)
        let words = reference.text.split(separator: " ")
        try #require(words.count >= 4)
        let stop = " " + words[2]
        try await TestServer.with { server in
            let body: [String: Any] = ["messages": [["role": "user", "content": GenerationTests.question]], "max_tokens": 40,
                                       "stop": [stop], "logprobs": true]
            let r = try await server.post("/v1/chat/completions", body)
            let answer = try #require(r.json[path: "choices.0.message.content"] as? String)
            let content = try #require(r.json[path: "choices.0.logprobs.content"] as? [[String: Any]])
            #expect(content.count == r.json[path: "usage.completion_tokens"] as? Int)
            let joined = content.compactMap { $0["token"] as? String }.joined()
            #expect(joined.hasPrefix(answer + stop), "\(joined) vs \(answer)")
            let s = try await server.stream("/v1/chat/completions", body.merging(["stream": true]) { $1 })
            let chunks = s.events.dropLast().compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
            let streamed = chunks.compactMap { $0[path: "choices.0.logprobs.content"] as? [[String: Any]] }.flatMap { $0 }
            #expect(streamed.compactMap { $0["token"] as? String } == content.compactMap { $0["token"] as? String })
        }
    }

    /// `echo` (what evaluation harnesses use to score a text): the prompt's text first, then its
    /// tokens with a null first entry and each later one's log-probability under the tokens before it.
    @Test func echoListsThePromptTokensFirst() async throws {
        let (_, tokenizer) = try TestModel.loaded()
        let text = "The capital of France is"
        let prompt = tokenizer.encode(text, addSpecial: true, parseSpecial: true)
        let reference = try TestModel.reference(prompt: prompt, maxTokens: 3)
        let promptRows = try Self.logSoftmaxRows(prompt, positions: 0..<(prompt.count - 1))
        try await TestServer.with { server in
            let r = try await server.post("/v1/completions", ["prompt": text, "max_tokens": 3, "echo": true, "logprobs": 2])
            #expect(r.status == 200)
            #expect(r.json[path: "choices.0.text"] as? String == text + reference.text)
            let logprobs = try #require(r.json[path: "choices.0.logprobs"] as? [String: Any])
            let tokens = try #require(logprobs["tokens"] as? [String])
            let values = try #require(logprobs["token_logprobs"] as? [Any])
            let tops = try #require(logprobs["top_logprobs"] as? [Any])
            let offsets = try #require(logprobs["text_offset"] as? [Int])
            #expect(tokens.count == prompt.count + reference.tokens.count)
            #expect(try Array(tokens.prefix(prompt.count)) == prompt.map(Self.piece))
            #expect(values.first is NSNull && tops.first is NSNull)
            for i in 1..<min(prompt.count, values.count) {
                let value = try #require(values[i] as? Double, "position \(i)")
                #expect(abs(value - promptRows[i - 1][Int(prompt[i])]) <= Self.tolerance, "prompt position \(i)")
                #expect((tops[i] as? [String: Double])?.count == 2)
            }
            var offset = 0
            for (i, token) in tokens.enumerated() where i < offsets.count {
                #expect(offsets[i] == offset)
                offset += token.unicodeScalars.count
            }

            // Without logprobs: the text alone; streamed: the same text.
            let plain = try await server.post("/v1/completions", ["prompt": text, "max_tokens": 3, "echo": true])
            #expect(plain.json[path: "choices.0.text"] as? String == text + reference.text)
            #expect((plain.json["choices"] as? [[String: Any]])?.first?["logprobs"] is NSNull)
            let s = try await server.stream("/v1/completions", ["prompt": text, "max_tokens": 3, "echo": true, "logprobs": 1,
                                                                "stream": true])
            let chunks = s.events.dropLast().compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
            #expect(chunks.compactMap { $0[path: "choices.0.text"] as? String }.joined() == text + reference.text)
            let streamedTokens = chunks.compactMap { $0[path: "choices.0.logprobs.tokens"] as? [String] }.flatMap { $0 }
            #expect(streamedTokens == tokens)
        }
    }

    /// lm-evaluation-harness's `local-completions` scoring request, as it sends it: token-id lists,
    /// several at once, `max_tokens` 1, `echo`, `logprobs` 1. One choice per prompt, in order, each
    /// scored as that prompt alone.
    @Test func severalPromptsGiveOneChoiceEach() async throws {
        let (_, tokenizer) = try TestModel.loaded()
        let texts = ["The capital of France is Paris", "Two plus two is four", "Water boils at one hundred degrees"]
        let prompts = texts.map { tokenizer.encode($0, addSpecial: false, parseSpecial: true) }
        try await TestServer.with { server in
            let r = try await server.post("/v1/completions", [
                "model": "x", "prompt": prompts.map { $0.map { Int($0) } }, "temperature": 0, "max_tokens": 1, "logprobs": 1,
                "seed": 1234, "echo": true,
            ])
            #expect(r.status == 200)
            let choices = try #require(r.json["choices"] as? [[String: Any]])
            #expect(choices.count == prompts.count)
            #expect(choices.compactMap { $0["index"] as? Int } == Array(prompts.indices))
            for (i, prompt) in prompts.enumerated() where i < choices.count {
                let reference = try TestModel.reference(prompt: prompt, maxTokens: 1)
                let rows = try Self.logSoftmaxRows(prompt, positions: 0..<(prompt.count - 1))
                #expect(choices[i]["text"] as? String == tokenizer.decode(prompt, skipSpecial: false) + reference.text)
                let values = try #require((choices[i]["logprobs"] as? [String: Any])?["token_logprobs"] as? [Any])
                #expect(values.count == prompt.count + 1)
                // The harness's sum over the continuation: every prompt token after the first.
                let score = values.dropFirst().dropLast().compactMap { $0 as? Double }.reduce(0, +)
                let expected = (1..<prompt.count).map { rows[$0 - 1][Int(prompt[$0])] }.reduce(0, +)
                #expect(abs(score - expected) <= Self.tolerance * Double(prompt.count), "prompt \(i): \(score) vs \(expected)")
            }
            #expect(r.json[path: "usage.prompt_tokens"] as? Int == prompts.map(\.count).reduce(0, +))
            #expect(r.json[path: "usage.completion_tokens"] as? Int == prompts.count)

            let bad = try await server.post("/v1/completions", ["prompt": [[1, 2], [3, 999_999]], "max_tokens": 1])
            #expect(bad.status == 400)
            #expect((bad.json[path: "error.message"] as? String)?.hasPrefix("prompt[1]: ") == true, "\(bad.json)")
            #expect(try await server.waitForMetrics { $0["scope_running_sequences"] == 0 && $0["scope_queue_depth"] == 0 })
        }
        // One sequence at a time and one waiting: the third prompt is refused (429), and the two
        // submitted before it are cancelled, not left running for nobody.
        try await TestServer.with(parallel: 1, maxQueue: 1) { server in
            let r = try await server.post("/v1/completions", ["prompt": texts, "max_tokens": 64, "ignore_eos": true])
            #expect(r.status == 429, "\(r.json)")
            #expect(try await server.waitForMetrics {
                $0["scope_running_sequences"] == 0 && $0["scope_queue_depth"] == 0 && $0["scope_kv_bytes_in_use"] == 0
            })
        }
    }

    @Test func withoutTheFieldLogprobsAreNull() async throws {
        try await TestServer.with { server in
            let r = try await server.post("/v1/completions", ["prompt": "Hello", "max_tokens": 2])
            #expect(r.status == 200)
            let choice = try #require((r.json["choices"] as? [[String: Any]])?.first)
            #expect(choice["logprobs"] is NSNull)
        }
    }
}
