import Foundation
import Generation
import JSONStrict
import SplitMix
import KVCache
@testable import Server
import ServerRequests
import Testing

/// The pure parts of the server: stop-string matching, request reading, `kv_compression`.
struct StopStringMatcherTests {
    /// For random texts cut into random pieces, the released text is exactly the text before the
    /// first stop string (all of it when none occurs), whatever the cuts.
    @Test func releasedTextIsThePrefixBeforeTheFirstStop() {
        var rng = SplitMix64(seed: 7)
        let alphabet = Array("ab c\né")
        for _ in 0..<2000 {
            let text = String((0..<Int(rng.next() % 24)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
            let stops = (0..<Int(1 + rng.next() % 2)).map { _ in
                String((0..<Int(1 + rng.next() % 3)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
            }
            var matcher = StopStringMatcher(stops)
            var released = ""
            var rest = Substring(text)
            while !rest.isEmpty && !matcher.stopped {
                let n = Int(1 + rng.next() % 4)
                released += matcher.append(String(rest.prefix(n)))
                rest = rest.dropFirst(n)
            }
            released += matcher.flush()
            let expected = stops.compactMap { text.range(of: $0)?.lowerBound }.min().map { String(text[..<$0]) } ?? text
            #expect(released == expected, "text \(text.debugDescription) stops \(stops)")
            #expect(matcher.stopped == stops.contains { text.contains($0) })
        }
    }

    @Test func withoutStopsEverythingPassesAtOnce() {
        var matcher = StopStringMatcher([])
        #expect(matcher.append("abc") == "abc")
        #expect(matcher.flush() == "")
    }
}

struct RequestParsingTests {
    static func parse(_ endpoint: Endpoint, _ json: String) throws(APIError) -> CompletionRequest {
        try CompletionRequest(endpoint: endpoint, body: JSONValue.parse(Data(json.utf8)))
    }

    static func error(_ json: String, endpoint: Endpoint = .chat) -> APIError? {
        do { _ = try parse(endpoint, json); return nil } catch { return error }
    }

    @Test func chatFieldsAreRead() throws {
        let r = try Self.parse(.chat, """
            {"model": "m", "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
             "max_tokens": 5, "max_completion_tokens": 7, "temperature": 0.5, "top_p": 0.9, "top_k": 40, "min_p": 0.05, "seed": -1, "stop": "x",
             "stream": true, "stream_options": {"include_usage": true}, "n": 1}
            """)
        #expect(r.prompt == .chat([.system("S"), .user("ab")]))
        #expect(r.maxTokens == 7)
        #expect(r.sampling.temperature == 0.5 && r.sampling.topK == 40 && r.sampling.topP == 0.9 && r.sampling.minP == 0.05)
        #expect(r.seed == UInt64.max && r.choicesPerPrompt == 1)
        #expect(r.stop == ["x"] && r.stream && r.includeUsage)
        // top_k −1 (vLLM) and 0 (llama.cpp) both mean every token.
        #expect(try Self.parse(.completion, #"{"prompt": "p", "top_k": -1}"#).sampling.topK == 0)
    }

    /// `n` choices per prompt: 1 by default, at least 1, and at most 64 choices over all prompts; the
    /// seed is absent unless given (the server then draws one per request).
    @Test func choicesAndSeed() throws {
        let plain = try Self.parse(.completion, #"{"prompt": "p"}"#)
        #expect(plain.choicesPerPrompt == 1 && plain.seed == nil)
        #expect(try Self.parse(.chat, #"{"messages": [{"role": "user", "content": "x"}], "n": 64}"#).choicesPerPrompt == 64)
        #expect(try Self.parse(.completion, #"{"prompt": ["a", "b"], "n": 32, "seed": 9}"#).choicesPerPrompt == 32)
        for (bad, words) in [(#"{"prompt": "p", "n": 0}"#, "at least 1"), (#"{"prompt": "p", "n": -2}"#, "at least 1"),
                             (#"{"prompt": "p", "n": 65}"#, "n = 65"), (#"{"prompt": ["a", "b"], "n": 33}"#, "2 prompts × n = 33"),
                             (#"{"prompt": "p", "n": 1.5}"#, "n"), (#"{"prompt": "p", "n": "2"}"#, "n")] {
            let error = Self.error(bad, endpoint: .completion)
            #expect(error?.status == 400 && error?.param == "n", "\(bad)")
            #expect(error?.message.contains(words) == true, "\(bad): \(error?.message ?? "no error")")
        }
    }

    @Test func penaltiesAndBias() throws {
        let r = try Self.parse(.completion, #"{"prompt": "p", "frequency_penalty": 0.5, "presence_penalty": -2, "repetition_penalty": 1.1, "logit_bias": {"7": 100, "12": -3.5}}"#)
        #expect(r.sampling.frequencyPenalty == 0.5 && r.sampling.presencePenalty == -2 && r.sampling.repetitionPenalty == Float(1.1))
        #expect(r.sampling.logitBias == [7: 100, 12: -3.5])
        #expect(try Self.parse(.completion, #"{"prompt": "p"}"#).sampling.changesNoLogit)
        for (bad, param) in [(#"{"prompt": "p", "frequency_penalty": 2.5}"#, "frequency_penalty"),
                             (#"{"prompt": "p", "presence_penalty": "x"}"#, "presence_penalty"),
                             (#"{"prompt": "p", "repetition_penalty": 0}"#, "repetition_penalty"),
                             (#"{"prompt": "p", "logit_bias": {"7": 101}}"#, "logit_bias.7"),
                             (#"{"prompt": "p", "logit_bias": {"7": null}}"#, "logit_bias.7"),
                             (#"{"prompt": "p", "logit_bias": {"7": "1"}}"#, "logit_bias.7"),
                             (#"{"prompt": "p", "logit_bias": {"-1": 1}}"#, "logit_bias"),
                             (#"{"prompt": "p", "logit_bias": {"seven": 1}}"#, "logit_bias"),
                             (#"{"prompt": "p", "logit_bias": [7]}"#, "logit_bias")] {
            let error = Self.error(bad, endpoint: .completion)
            #expect(error?.status == 400 && error?.param == param, "\(bad): \(String(describing: error))")
        }
    }

    @Test func responseFormat() throws {
        #expect(try Self.parse(.completion, #"{"prompt": "p"}"#).responseFormat == .text)
        #expect(try Self.parse(.completion, #"{"prompt": "p", "response_format": {"type": "text"}}"#).responseFormat == .text)
        #expect(try Self.parse(.chat, #"{"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}}"#)
            .responseFormat == .jsonObject)
        let withSchema = try Self.parse(.completion, #"""
            {"prompt": "p", "response_format": {"type": "json_schema", "json_schema": {"name": "dog", "strict": true,
             "schema": {"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]}}}}
            """#)
        guard case .json(let schema) = withSchema.responseFormat else {
            Issue.record("json_schema read as \(withSchema.responseFormat)")
            return
        }
        #expect(schema != JSONSchema.anyObject)
        for (bad, param) in [
            (#"{"prompt": "p", "response_format": {"type": "json_schema"}}"#, "response_format.json_schema"),
            (#"{"prompt": "p", "response_format": {"type": "json_schema", "json_schema": {"name": "x"}}}"#, "response_format.json_schema.schema"),
            (#"{"prompt": "p", "response_format": {"type": "json_schema", "json_schema": {"name": "a b", "schema": {"type": "object"}}}}"#,
             "response_format.json_schema.name"),
            (#"{"prompt": "p", "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "object", "properties": {"s": {"type": "string", "pattern": "x"}}}}}}"#,
             "response_format.json_schema.schema.properties.s.pattern"),
            (#"{"prompt": "p", "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "string"}}}}"#,
             "response_format.json_schema.schema"),
        ] {
            let error = Self.error(bad, endpoint: .completion)
            #expect(error?.status == 400 && error?.param == param, "\(bad): \(String(describing: error))")
        }
        for (bad, param) in [(#"{"prompt": "p", "response_format": {"type": "xml"}}"#, "response_format.type"),
                             (#"{"prompt": "p", "response_format": {}}"#, "response_format.type"),
                             (#"{"prompt": "p", "response_format": {"type": 1}}"#, "response_format.type"),
                             (#"{"prompt": "p", "response_format": "json_object"}"#, "response_format")] {
            let error = Self.error(bad, endpoint: .completion)
            #expect(error?.status == 400 && error?.param == param, "\(bad): \(String(describing: error))")
        }
    }

    @Test func completionPromptForms() throws {
        #expect(try Self.parse(.completion, #"{"prompt": "hi"}"#).prompt == .text("hi"))
        #expect(try Self.parse(.completion, #"{"prompt": ["hi"]}"#).prompt == .text("hi"))
        #expect(try Self.parse(.completion, #"{"prompt": [1, 2, 3]}"#).prompt == .tokens([1, 2, 3]))
        #expect(try Self.parse(.completion, #"{"prompt": ["a", "b"]}"#).prompt == .several([.text("a"), .text("b")]))
        #expect(try Self.parse(.completion, #"{"prompt": [[1, 2], "c", [3]]}"#).prompt == .several([.tokens([1, 2]), .text("c"), .tokens([3])]))
        #expect(try Self.parse(.completion, #"{"prompt": [[1, 2]]}"#).prompt == .tokens([1, 2]))
        #expect(try Self.parse(.completion, #"{"prompt": ["a"]}"#).prompt == .text("a"))
        for bad in [#"{"prompt": [["a"]]}"#, #"{"prompt": [[]]}"#, #"{"prompt": ["a", ""]}"#, #"{"prompt": [[1], 2]}"#, #"{"prompt": [1, [2]]}"#,
                    #"{"prompt": [\#((0...CompletionRequest.maxPrompts).map { _ in "\"x\"" }.joined(separator: ", "))]}"#] {
            #expect(Self.error(bad, endpoint: .completion)?.param == "prompt", "\(bad)")
        }
        #expect(Self.error(#"{"prompt": [-1]}"#, endpoint: .completion)?.param == "prompt")
        #expect(Self.error(#"{"prompt": 5}"#, endpoint: .completion)?.param == "prompt")
    }

    /// Chat: `logprobs: true` with `top_logprobs` (0 without it); completions: `logprobs` k; absent
    /// or null: none.
    @Test func logprobsAreReadPerEndpoint() throws {
        let chat = #"{"messages": [{"role": "user", "content": "x"}]"#
        #expect(try Self.parse(.chat, chat + "}").logprobs == nil)
        #expect(try Self.parse(.chat, chat + #", "logprobs": false}"#).logprobs == nil)
        #expect(try Self.parse(.chat, chat + #", "logprobs": true}"#).logprobs == 0)
        #expect(try Self.parse(.chat, chat + #", "logprobs": true, "top_logprobs": 20}"#).logprobs == 20)
        #expect(try Self.parse(.chat, chat + #", "logprobs": null, "top_logprobs": null}"#).logprobs == nil)
        #expect(try Self.parse(.completion, #"{"prompt": "x"}"#).logprobs == nil)
        #expect(try Self.parse(.completion, #"{"prompt": "x", "logprobs": null}"#).logprobs == nil)
        #expect(try Self.parse(.completion, #"{"prompt": "x", "logprobs": 0}"#).logprobs == 0)
        #expect(try Self.parse(.completion, #"{"prompt": "x", "logprobs": 5, "echo": false}"#).logprobs == 5)
        #expect(try Self.parse(.completion, #"{"prompt": "x", "echo": true}"#).echo)
        #expect(try !Self.parse(.completion, #"{"prompt": "x"}"#).echo)
    }

    @Test func badFieldsNameTheField() {
        let cases: [(String, String?)] = [
            (#"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 1.5}"#, "max_tokens"),
            (#"{"messages": [{"role": "user", "content": "x"}], "seed": "s"}"#, "seed"),
            (#"{"messages": [{"role": "user", "content": "x"}], "stop": ["", "a"]}"#, "stop"),
            (#"{"messages": [{"role": "user", "content": "x"}], "stop": ["a", "b", "c", "d", "e"]}"#, "stop"),
            (#"{"messages": [{"role": "user", "content": "x"}], "stream_options": {"include_usage": true}}"#, "stream_options"),
            (#"{"messages": [{"role": "user", "content": "x"}], "logprobs": 1}"#, "logprobs"),
            (#"{"messages": [{"role": "user", "content": "x"}], "top_logprobs": 2}"#, "top_logprobs"),
            (#"{"messages": [{"role": "user", "content": "x"}], "logprobs": false, "top_logprobs": 2}"#, "top_logprobs"),
            (#"{"messages": [{"role": "user", "content": "x"}], "logprobs": true, "top_logprobs": 21}"#, "top_logprobs"),
            (#"{"messages": [{"role": "user", "content": "x"}], "logprobs": true, "top_logprobs": -1}"#, "top_logprobs"),
            (#"{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}"#, "messages[0].content[0]"),
            (#"{"messages": [5]}"#, "messages[0]"),
            (#"{"messages": [{"role": "user", "content": "x"}], "top_k": -2}"#, "top_k"),
            (#"{"messages": [{"role": "user", "content": "x"}], "min_p": 1.5}"#, "min_p"),
            (#"{"messages": [{"role": "user", "content": "x"}], "min_p": "0.1"}"#, "min_p"),
            (#"{"messages": [{"role": "user", "content": "x"}], "top_k": 2.5}"#, "top_k"),
        ]
        for (json, param) in cases {
            let e = Self.error(json)
            #expect(e?.status == 400, "\(json)")
            #expect(e?.param == param, "\(json): \(String(describing: e))")
        }
        for (json, param) in [(#"{"prompt": "x", "logprobs": 6}"#, "logprobs"), (#"{"prompt": "x", "logprobs": true}"#, "logprobs"),
                              (#"{"prompt": "x", "logprobs": -1}"#, "logprobs"), (#"{"prompt": "x", "echo": 1}"#, "echo")] {
            let e = Self.error(json, endpoint: .completion)
            #expect(e?.status == 400 && e?.param == param, "\(json): \(String(describing: e))")
        }
        #expect(Self.error("not json")?.code == "invalid_json")
        #expect(Self.error("")?.code == "invalid_json")
    }
}

struct KVCompressionFieldTests {
    static func resolve(_ json: String, over defaults: CompressionConfig = .fullKV) throws(APIError) -> CompressionConfig {
        try KVCompressionField(JSONValue.parse(Data(json.utf8))).resolve(over: defaults)
    }

    @Test func everyCLIMethodNameIsAccepted() throws {
        for kind in PrefillMethodKind.allCases {
            #expect(try Self.resolve(#"{"prefill": "\#(kind.rawValue)", "prefill_budget": 64}"#).prefill == kind)
        }
        for kind in DecodingMethodKind.allCases {
            #expect(try Self.resolve(#"{"decoding": "\#(kind.rawValue)", "decoding_window": 64, "recent": 8}"#).decoding == kind)
        }
        #expect(try Self.resolve(#"{"prefill": "ALLKV"}"#).prefill == .fullKV)
    }

    @Test func fieldsOverrideTheServerDefault() throws {
        let defaults = CompressionConfig(prefill: .snapKV, decoding: .slide, prefillBudget: 512, decodingWindow: 256, recent: 64)
        let c = try Self.resolve(#"{"prefill_budget": 128, "window": 16, "pooling": "avgpool", "kernel": 5, "delta": 3}"#, over: defaults)
        #expect(c == CompressionConfig(prefill: .snapKV, decoding: .slide, prefillBudget: 128, window: 16, kernel: 5, pooling: .avg,
                                       decodingWindow: 256, recent: 64, delta: 3))
        #expect(try Self.resolve("{}", over: defaults) == defaults)
    }

    @Test func validationMessagesNameRequestFields() {
        do {
            _ = try Self.resolve(#"{"prefill": "snapkv", "prefill_budget": 64, "kernel": 4}"#)
            Issue.record("an even kernel was accepted")
        } catch {
            #expect(error.message.contains("kv_compression.kernel"), "\(error.message)")
            #expect(!error.message.contains("--"), "\(error.message)")
        }
        #expect(KVCompressionField.renamingFlags("--decoding-window (4) must be larger than --recent (8)")
                    == "kv_compression.decoding_window (4) must be larger than kv_compression.recent (8)")
    }

    @Test func methodParametersWithoutFieldsGoThroughParams() throws {
        let c = try Self.resolve(#"{"decoding": "rkv", "decoding_window": 64, "params": {"query_window": 4, "lambda": 0.25, "interval": "16"}}"#)
        #expect(c.parameters == ["query-window": "4", "lambda": "0.25", "interval": "16"])
        // The server's default parameters belong to its default methods: a request naming another method drops
        // those it does not take, and keeps them when it names none.
        let defaults = CompressionConfig(decoding: DecodingMethodKind(name: "rkv")!, decodingWindow: 64, parameters: ["lambda": "0.5"])
        #expect(try Self.resolve(#"{"decoding": "slide", "recent": 8}"#, over: defaults).parameters.isEmpty)
        #expect(try Self.resolve(#"{"decoding": "snapkv-d"}"#, over: defaults).parameters.isEmpty)
        #expect(try Self.resolve(#"{"params": {"interval": 32}}"#, over: defaults).parameters == ["lambda": "0.5", "interval": "32"])
        let bad: [(String, String)] = [
            (#"{"decoding": "slide", "decoding_window": 64, "recent": 8, "params": {"lambda": 0.1}}"#, "kv_compression.params.lambda"),
            (#"{"decoding": "rkv", "decoding_window": 64, "params": {"interval": 0}}"#, "kv_compression.params.interval"),
            (#"{"decoding": "rkv", "decoding_window": 64, "params": {"lambda": "x"}}"#, "kv_compression.params.lambda"),
            (#"{"decoding": "rkv", "decoding_window": 64, "params": {"lambda": [1]}}"#, "kv_compression.params.lambda"),
            (#"{"decoding": "rkv", "decoding_window": 64, "params": {"query_window": 4, "query-window": 5}}"#, "kv_compression.params.query_window"),
            (#"{"decoding": "rkv", "params": 3}"#, "kv_compression.params"),
        ]
        for (json, name) in bad {
            do {
                let c = try Self.resolve(json)
                Issue.record("\(json) was accepted: \(c)")
            } catch {
                #expect(error.status == 400, "\(json)")
                #expect(error.message.contains(name) || error.param == name, "\(json): \(error.message) (\(String(describing: error.param)))")
                #expect(!error.message.contains("--"), "\(json): \(error.message)")
            }
        }
    }

    /// Integers past `maxInteger` would let the admission bound (rows × layers × heads × row bytes) overflow.
    @Test func hugeIntegersAreRefused() {
        for field in ["prefill_budget", "window", "decoding_window", "recent", "kernel", "beta", "delta"] {
            do {
                _ = try Self.resolve(#"{"prefill": "h2o", "semantics": "reference", "\#(field)": \#(1 << 40)}"#)
                Issue.record("\(field) = 2^40 was accepted")
            } catch {
                #expect(error.status == 400 && error.param == "kv_compression.\(field)", "\(error)")
                #expect(error.message.contains("\(KVCompressionField.maxInteger)"), "\(error.message)")
            }
        }
        #expect(throws: Never.self) { try Self.resolve(#"{"prefill": "h2o", "prefill_budget": \#(KVCompressionField.maxInteger)}"#) }
    }
}
