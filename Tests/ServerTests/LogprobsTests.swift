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
        let (model, _) = try TestModel.loaded()
        let tokens = prompt + generated.dropLast()
        let cache = try KVCache(shape: model.cacheShape, config: .fullKV, maxNewTokens: generated.count)
        let hidden = try model.forward(tokens: tokens, startPosition: 0, cache: cache)
        let vocab = model.config.vocabularySize
        let logits = model.logits(hidden: hidden, rows: (prompt.count - 1)..<tokens.count)
        return (0..<generated.count).map { i in
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

    @Test func withoutTheFieldLogprobsAreNull() async throws {
        try await TestServer.with { server in
            let r = try await server.post("/v1/completions", ["prompt": "Hello", "max_tokens": 2])
            #expect(r.status == 200)
            let choice = try #require((r.json["choices"] as? [[String: Any]])?.first)
            #expect(choice["logprobs"] is NSNull)
        }
    }
}
