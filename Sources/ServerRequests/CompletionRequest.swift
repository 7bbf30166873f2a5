import Generation
import JSONStrict
import Tokenizer

/// The two generating endpoints.
public enum Endpoint: String, Sendable {
    case chat = "chat.completion"
    case completion = "text_completion"
}

/// A `/v1/chat/completions` or `/v1/completions` body, read and checked field by field (no model
/// needed yet; the prompt's length against the context is checked once it is tokenized).
package struct CompletionRequest: Sendable, Equatable {
    package enum Prompt: Sendable, Equatable {
        case chat([ChatMessage])
        case text(String)
        case tokens([Int32])
        /// Completions with several prompts (strings or token lists): one choice each, in order.
        indirect case several([Prompt])

        /// How many prompts this is.
        package var count: Int {
            if case .several(let prompts) = self { return prompts.count }
            return 1
        }
    }

    /// The most prompts one completions request may hold.
    package static let maxPrompts = 64
    /// The most choices one request may ask for (prompts × `n`).
    package static let maxChoices = 64

    package var endpoint: Endpoint
    package var model: String?
    package var prompt: Prompt
    /// `max_completion_tokens`, else `max_tokens`; nil: up to the context length.
    package var maxTokens: Int?
    /// Temperature, top-k and top-p; the seed is `seed`'s (`RequestPreparer` sets it per choice).
    package var sampling: SamplingOptions
    /// `seed`: choice i of a prompt samples with seed + i; nil: the server draws one per request.
    package var seed: UInt64?
    /// `n`: choices per prompt (1 by default; prompts × n ≤ `maxChoices`).
    package var choicesPerPrompt: Int
    package var stop: [String]
    package var stream: Bool
    package var includeUsage: Bool
    package var compression: KVCompressionField
    /// `ignore_eos` (llama.cpp's extension, used by load benchmarks): generate exactly the max tokens.
    package var ignoreEndOfGeneration: Bool
    /// Log-probabilities asked for: each generated token's and this many alternatives' (chat:
    /// `logprobs: true` with `top_logprobs`, 0...20; completions: `logprobs`, 0...5); nil: none.
    package var logprobs: Int?
    /// Completions' `echo`: the answer starts with the prompt's text (and, with `logprobs`, its
    /// tokens' log-probabilities).
    package var echo: Bool
    /// `response_format`: `{"type": "text"}` (the default) or `{"type": "json_object"}`.
    package var responseFormat: ResponseFormat

    /// At most this many stop strings (OpenAI's limit).
    package static let maxStopStrings = 4

    package init(endpoint: Endpoint, body: JSONValue) throws(APIError) {
        let f = try JSONFields(body, name: "")
        self.endpoint = endpoint
        model = try f.string("model")
        switch endpoint {
        case .chat: prompt = .chat(try Self.messages(f))
        case .completion: prompt = try Self.completionPrompt(f)
        }

        let maxCompletion = try f.integer("max_completion_tokens")
        let maxLegacy = try f.integer("max_tokens")
        if let m = maxCompletion, m <= 0 {
            throw .invalid("max_completion_tokens must be at least 1, got \(m)", param: "max_completion_tokens")
        }
        if let m = maxLegacy, m <= 0 { throw .invalid("max_tokens must be at least 1, got \(m)", param: "max_tokens") }
        maxTokens = maxCompletion ?? maxLegacy

        choicesPerPrompt = try Self.choicesPerPrompt(f, prompts: prompt.count)
        logprobs = try Self.logprobs(f, endpoint: endpoint)
        echo = endpoint == .completion ? try f.bool("echo") ?? false : false

        var sampling = SamplingOptions.greedy
        if let t = try f.number("temperature") {
            guard t >= 0, t <= 2 else { throw .invalid("temperature must be between 0 and 2, got \(t)", param: "temperature") }
            sampling.temperature = Float(t)
        }
        if let p = try f.number("top_p") {
            guard p > 0, p <= 1 else { throw .invalid("top_p must be in (0, 1], got \(p)", param: "top_p") }
            sampling.topP = Float(p)
        }
        for (key, path) in [("frequency_penalty", \SamplingOptions.frequencyPenalty), ("presence_penalty", \.presencePenalty)] {
            guard let v = try f.number(key) else { continue }
            guard abs(v) <= Double(SamplingOptions.maxPenalty) else {
                throw .invalid("\(key) must be between -2 and 2, got \(v)", param: key)
            }
            sampling[keyPath: path] = Float(v)
        }
        if let r = try f.number("repetition_penalty") {
            // vLLM's and llama.cpp's extension.
            guard r > 0, r <= 1e6 else { throw .invalid("repetition_penalty must be > 0, got \(r)", param: "repetition_penalty") }
            sampling.repetitionPenalty = Float(r)
        }
        sampling.logitBias = try Self.logitBias(f)
        if let m = try f.number("min_p") {
            // vLLM's and llama.cpp's extension: keep the tokens at least min_p as likely as the most likely one.
            guard m >= 0, m <= 1 else { throw .invalid("min_p must be in [0, 1], got \(m)", param: "min_p") }
            sampling.minP = Float(m)
        }
        if let k = try f.integer("top_k") {
            // llama.cpp's and vLLM's extension: keep the k most likely tokens (0 or −1: all of them).
            guard k >= -1 else { throw .invalid("top_k must be at least -1 (-1 or 0: all tokens), got \(k)", param: "top_k") }
            sampling.topK = max(0, k)
        }
        self.sampling = sampling
        seed = try f.integer("seed").map { UInt64(bitPattern: Int64($0)) }

        stop = try Self.stopStrings(f)
        stream = try f.bool("stream") ?? false
        includeUsage = false
        if let options = f.value("stream_options") {
            let o = try JSONFields(options, name: "stream_options", prefix: "stream_options.")
            includeUsage = try o.bool("include_usage") ?? false
            if !stream { throw .invalid("stream_options is only allowed when stream is true", param: "stream_options") }
        }
        ignoreEndOfGeneration = try f.bool("ignore_eos") ?? false
        responseFormat = try Self.responseFormat(f)
        compression = try f.value("kv_compression").map { v throws(APIError) in try KVCompressionField(v) } ?? KVCompressionField()
    }

    /// `n`: at least 1, and at most `maxChoices` choices in all over `prompts` prompts.
    package static func choicesPerPrompt(_ f: JSONFields, prompts: Int) throws(APIError) -> Int {
        guard let n = try f.integer("n") else { return 1 }
        guard n >= 1 else { throw .invalid("n must be at least 1, got \(n)", param: "n") }
        guard n <= maxChoices / prompts else {
            let asked = prompts == 1 ? "n = \(n)" : "\(prompts) prompts × n = \(n)"
            throw .invalid("at most \(maxChoices) choices are allowed in one request, got \(asked)", param: "n")
        }
        return n
    }

    /// The most tokens `logit_bias` may name.
    package static let maxBiasedTokens = 1024

    /// `logit_bias`: an object from token ids (as strings, OpenAI's form) to biases in -100…100.
    /// (The ids are checked against the vocabulary when the request is prepared.)
    package static func logitBias(_ f: JSONFields) throws(APIError) -> [Int32: Float] {
        guard let value = f.value("logit_bias") else { return [:] }
        let entries = try JSONFields(value, name: "logit_bias", prefix: "logit_bias.")
        guard entries.values.count <= maxBiasedTokens else {
            throw .invalid("logit_bias may name at most \(maxBiasedTokens) tokens, got \(entries.values.count)", param: "logit_bias")
        }
        var bias: [Int32: Float] = [:]
        for key in entries.values.keys.sorted() {
            guard let id = Int32(key), id >= 0 else {
                throw .invalid("logit_bias: '\(key)' is not a token id (a non-negative integer as a string)", param: "logit_bias")
            }
            let b = try entries.number(key)
            guard let b, abs(b) <= Double(SamplingOptions.maxBias) else {
                throw .invalid("logit_bias.\(key) must be a number between -100 and 100, got \(b.map { "\($0)" } ?? "null")",
                               param: "logit_bias.\(key)")
            }
            bias[id] = Float(b)
        }
        return bias
    }

    /// `response_format`: an object whose `type` is `text`, `json_object` (any JSON object) or
    /// `json_schema` (`{"type": "json_schema", "json_schema": {"name": …, "schema": {…}, "strict": …}}`:
    /// a JSON value of the schema, `JSONSchema`'s subset; a keyword it cannot follow is refused by name).
    package static func responseFormat(_ f: JSONFields) throws(APIError) -> ResponseFormat {
        guard let value = f.value("response_format") else { return .text }
        let r = try JSONFields(value, name: "response_format", prefix: "response_format.")
        guard let type = try r.string("type") else {
            throw .invalid("response_format has no 'type'", param: "response_format.type", code: "missing_required_parameter")
        }
        switch type {
        case "text": return .text
        case "json_object": return .jsonObject
        case "json_schema":
            guard let spec = r.value("json_schema") else {
                throw .invalid("response_format type 'json_schema' needs a 'json_schema' object", param: "response_format.json_schema",
                               code: "missing_required_parameter")
            }
            let j = try JSONFields(spec, name: "response_format.json_schema", prefix: "response_format.json_schema.")
            if let name = try j.string("name"), name.isEmpty || name.count > 64
                || !name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_" || $0 == "-") }) {
                throw .invalid("response_format.json_schema.name must be 1 to 64 letters, digits, '_' or '-', got '\(name)'",
                               param: "response_format.json_schema.name")
            }
            _ = try j.bool("strict")
            _ = try j.string("description")
            guard let schema = j.value("schema") else {
                throw .invalid("response_format.json_schema has no 'schema'", param: "response_format.json_schema.schema",
                               code: "missing_required_parameter")
            }
            do {
                return .json(try JSONSchema(schema))
            } catch {
                let param = "response_format.json_schema.schema" + (error.path.isEmpty ? "" : "." + error.path)
                throw .invalid("\(param): \(error.message)", param: param)
            }
        default:
            throw .invalid("response_format.type: '\(type)' is not one of text, json_object, json_schema", param: "response_format.type")
        }
    }

    /// The most alternatives `/v1/completions` lists per token (OpenAI's limit).
    package static let maxCompletionLogprobs = 5

    /// Chat: `logprobs` (a boolean) and `top_logprobs` (0...20, only with `logprobs: true`);
    /// completions: `logprobs` (0...5 alternatives, or null).
    package static func logprobs(_ f: JSONFields, endpoint: Endpoint) throws(APIError) -> Int? {
        switch endpoint {
        case .chat:
            let on = try f.bool("logprobs") ?? false
            let top = try f.integer("top_logprobs")
            if let top {
                guard on else { throw .invalid("top_logprobs needs logprobs to be true", param: "top_logprobs") }
                guard (0...TokenLogprobs.maxTop).contains(top) else {
                    throw .invalid("top_logprobs must be in 0...\(TokenLogprobs.maxTop), got \(top)", param: "top_logprobs")
                }
            }
            return on ? (top ?? 0) : nil
        case .completion:
            guard let k = try f.integer("logprobs") else { return nil }
            guard (0...maxCompletionLogprobs).contains(k) else {
                throw .invalid("logprobs must be in 0...\(maxCompletionLogprobs), got \(k)", param: "logprobs")
            }
            return k
        }
    }

    /// `messages`: a non-empty array of `{role, content}`; content is a string or an array of text parts.
    package static func messages(_ f: JSONFields) throws(APIError) -> [ChatMessage] {
        guard let value = f.value("messages") else {
            throw .invalid("you must provide a 'messages' parameter", param: "messages", code: "missing_required_parameter")
        }
        guard case .array(let items) = value else { throw f.wrongType("messages", expected: "an array", got: value) }
        guard !items.isEmpty else { throw .invalid("'messages' must not be empty", param: "messages", code: "empty_array") }
        var messages: [ChatMessage] = []
        for (i, item) in items.enumerated() {
            let m = try JSONFields(item, name: "messages[\(i)]", prefix: "messages[\(i)].")
            guard let role = try m.string("role") else {
                throw .invalid("messages[\(i)] has no 'role'", param: "messages[\(i)].role", code: "missing_required_parameter")
            }
            let roles = ["system", "developer", "user", "assistant"]
            guard roles.contains(role) else {
                throw .invalid("messages[\(i)].role: '\(role)' is not one of \(roles.joined(separator: ", "))",
                               param: "messages[\(i)].role")
            }
            guard let content = m.value("content") else {
                throw .invalid("messages[\(i)] has no 'content'", param: "messages[\(i)].content", code: "missing_required_parameter")
            }
            let text = try Self.contentText(content, path: "messages[\(i)].content")
            messages.append(ChatMessage(role: role == "developer" ? "system" : role, content: text))
        }
        return messages
    }

    /// A message's content: a string, or an array of `{"type": "text", "text": ...}` parts (joined).
    package static func contentText(_ value: JSONValue, path: String) throws(APIError) -> String {
        switch value {
        case .string(let s):
            return s
        case .array(let parts):
            var text = ""
            for (k, part) in parts.enumerated() {
                let p = try JSONFields(part, name: "\(path)[\(k)]", prefix: "\(path)[\(k)].")
                guard try p.string("type") == "text", let t = try p.string("text") else {
                    throw .invalid("\(path)[\(k)]: only text parts ({\"type\": \"text\", \"text\": ...}) are supported",
                                   param: "\(path)[\(k)]", code: "unsupported_value")
                }
                text += t
            }
            return text
        default:
            throw .invalid("'\(path)' must be a string or an array of text parts, got \(value.typeName)", param: path,
                           code: "invalid_type")
        }
    }

    /// `prompt`: a string, a list of token ids, or a list of prompts (strings or token-id lists; one
    /// alone is that prompt, several give one choice each).
    package static func completionPrompt(_ f: JSONFields) throws(APIError) -> Prompt {
        guard let value = f.value("prompt") else {
            throw .invalid("you must provide a 'prompt' parameter", param: "prompt", code: "missing_required_parameter")
        }
        switch value {
        case .string(let s):
            guard !s.isEmpty else { throw .invalid("'prompt' must not be empty", param: "prompt") }
            return .text(s)
        case .array(let items):
            guard !items.isEmpty else { throw .invalid("'prompt' must not be empty", param: "prompt", code: "empty_array") }
            if case .integer = items[0] { return .tokens(try tokenList(items, path: "prompt", param: "prompt")) }
            guard items.count <= maxPrompts else {
                throw .invalid("at most \(maxPrompts) prompts are allowed in one request, got \(items.count)", param: "prompt")
            }
            var prompts: [Prompt] = []
            for (i, item) in items.enumerated() {
                switch item {
                case .string(let s):
                    guard !s.isEmpty else { throw .invalid("prompt[\(i)] must not be empty", param: "prompt") }
                    prompts.append(.text(s))
                case .array(let ids) where !ids.isEmpty:
                    prompts.append(.tokens(try tokenList(ids, path: "prompt[\(i)]", param: "prompt")))
                default:
                    throw .invalid("prompt[\(i)]: a list of prompts holds strings or non-empty token-id lists; got \(item.typeName)",
                                   param: "prompt", code: "invalid_type")
                }
            }
            return prompts.count == 1 ? prompts[0] : .several(prompts)
        default:
            throw f.wrongType("prompt", expected: "a string, an array of token ids or an array of prompts", got: value)
        }
    }

    /// Token ids: non-negative integers that fit `Int32` (an error names `path[i]` and `param`).
    package static func tokenList(_ items: [JSONValue], path: String, param: String) throws(APIError) -> [Int32] {
        var ids: [Int32] = []
        for (i, item) in items.enumerated() {
            guard case .integer(let id) = item, id >= 0, id <= Int(Int32.max) else {
                throw .invalid("\(path)[\(i)]: a token list holds token ids (non-negative integers); got \(item.typeName)",
                               param: param, code: "invalid_type")
            }
            ids.append(Int32(id))
        }
        return ids
    }

    /// `stop`: a string or a list of up to four non-empty strings.
    package static func stopStrings(_ f: JSONFields) throws(APIError) -> [String] {
        guard let value = f.value("stop") else { return [] }
        var list: [String] = []
        switch value {
        case .string(let s): list = [s]
        case .array(let items):
            for (i, item) in items.enumerated() {
                guard case .string(let s) = item else {
                    throw .invalid("stop[\(i)] must be a string, got \(item.typeName)", param: "stop", code: "invalid_type")
                }
                list.append(s)
            }
        default: throw f.wrongType("stop", expected: "a string or an array of strings", got: value)
        }
        guard list.count <= maxStopStrings else {
            throw .invalid("at most \(maxStopStrings) stop strings are allowed, got \(list.count)", param: "stop")
        }
        guard !list.contains("") else { throw .invalid("stop strings must not be empty", param: "stop") }
        return list
    }
}
