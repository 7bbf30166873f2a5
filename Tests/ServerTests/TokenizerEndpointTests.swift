import Foundation
import ScopeTestSupport
import Testing

/// vLLM's tokenizer endpoints (lm-evaluation-harness's remote tokenizer) against the tokenizer
/// called directly: what `/tokenize` returns is what the generating endpoints feed the model.
@Suite(.serialized, .needsDefaultModel)
struct TokenizerEndpointTests {
    @Test func tokenizeAndDetokenizeAgreeWithTheTokenizer() async throws {
        let (model, tokenizer) = try TestModel.loaded()
        let text = "Tokenize me: <|im_start|> and 12,345 naïve words."
        try await TestServer.with { server in
            let plain = try await server.post("/tokenize", ["prompt": text, "add_special_tokens": false])
            #expect(plain.status == 200)
            let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: true).map { Int($0) }
            #expect(plain.json["tokens"] as? [Int] == ids)
            #expect(plain.json["count"] as? Int == ids.count)
            #expect(plain.json["max_model_len"] as? Int == model.config.contextLength)
            let special = try await server.post("/tokenize", ["prompt": text])
            #expect(special.json["tokens"] as? [Int] == tokenizer.encode(text, addSpecial: true, parseSpecial: true).map { Int($0) })

            let chat = try await server.post("/tokenize", ["messages": [["role": "user", "content": GenerationTests.question]]])
            #expect(chat.json["tokens"] as? [Int] == (try TestModel.chatTokens(GenerationTests.question)).map { Int($0) })

            let back = try await server.post("/detokenize", ["tokens": ids])
            #expect(back.status == 200)
            #expect(back.json["prompt"] as? String == tokenizer.decode(ids.map { Int32($0) }, skipSpecial: false))

            let info = try await server.post("/tokenizer_info", [:])
            #expect(info.status == 404 || info.status == 405, "tokenizer_info is a GET")
            let got = try await server.send(.GET, "/tokenizer_info")
            #expect(got.status == 200)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(got.body.utf8)) as? [String: Any])
            #expect(object["eos_token"] as? String == tokenizer.eosID.flatMap { tokenizer.tokenText($0) })
            #expect(object["chat_template"] as? String == tokenizer.chatTemplateText)
        }
    }

    @Test func badInputIsA400NamingTheField() async throws {
        try await TestServer.with(apiKey: "sekret") { server in
            let auth = [("Authorization", "Bearer sekret")]
            for (body, param) in [(#"{"tokens": [1, 99999999]}"#, "tokens"), (#"{"tokens": "1 2"}"#, "tokens"), (#"{}"#, "tokens")] {
                let r = try await server.send(.POST, "/detokenize", json: body, headers: auth)
                #expect(r.status == 400 && r.body.contains(#""param":"\#(param)""#), "\(body): \(r.body)")
            }
            for body in [#"{"prompt": "a", "messages": [{"role": "user", "content": "b"}]}"#, #"{"prompt": 5}"#, #"{}"#, "{"] {
                let r = try await server.send(.POST, "/tokenize", json: body, headers: auth)
                #expect(r.status == 400, "\(body): \(r.body)")
            }
            // The API key guards these routes as it guards /v1/...
            #expect(try await server.send(.POST, "/tokenize", json: #"{"prompt": "a"}"#).status == 401)
            #expect(try await server.send(.GET, "/tokenizer_info").status == 401)
            #expect(try await server.send(.GET, "/tokenizer_info", headers: auth).status == 200)
        }
    }
}
