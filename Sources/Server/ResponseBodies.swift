import Foundation
import Generation
import ServerRequests

/// OpenAI's finish reasons (`"stop"`: end of generation or a stop string; `"length"`: max tokens).
enum OpenAIFinishReason: String, Sendable {
    case stop, length
}

/// Token counts and KV-cache figures of a finished request.
struct CompletionUsage: Sendable, Equatable {
    var promptTokens: Int
    var completionTokens: Int
    var kvBytesPeak: Int
    /// Rows per storage head at the end, the largest over layers (all layers hold the same count
    /// except with the pyramid methods).
    var kvTokensPerLayerFinal: Int
    /// Prompt tokens not computed: their state came from the scheduler's prompt cache.
    var cachedTokens: Int

    var usageJSON: [String: Any] {
        ["prompt_tokens": promptTokens, "completion_tokens": completionTokens, "total_tokens": promptTokens + completionTokens,
         "prompt_tokens_details": ["cached_tokens": cachedTokens]]
    }

    var kvJSON: [String: Any] { ["bytes_peak": kvBytesPeak, "tokens_per_layer_final": kvTokensPerLayerFinal] }
}

extension CompletionUsage {
    /// Several prompts' usage: token counts and KV peaks add up (the sequences may run at once), the
    /// final rows per layer are the largest.
    init(adding parts: [CompletionUsage]) {
        self.init(promptTokens: parts.reduce(0) { $0 + $1.promptTokens }, completionTokens: parts.reduce(0) { $0 + $1.completionTokens },
                  kvBytesPeak: parts.reduce(0) { $0 + $1.kvBytesPeak }, kvTokensPerLayerFinal: parts.map(\.kvTokensPerLayerFinal).max() ?? 0,
                  cachedTokens: parts.reduce(0) { $0 + $1.cachedTokens })
    }
}

/// Builds the JSON bodies of responses and stream chunks.
struct ResponseBodies: Sendable {
    let id: String
    let created: Int
    let model: String
    let endpoint: Endpoint
    /// How to show log-probabilities; nil when the request did not ask for them.
    let logprobs: LogprobsJSON?

    /// The `logprobs` value of a choice holding `entries`: null when the request did not ask for
    /// them. `offset` (completions' `text_offset`) advances past the entries' text.
    func logprobsValue(_ entries: [LoggedToken], offset: inout Int) -> Any {
        guard let logprobs else { return NSNull() }
        switch endpoint {
        case .chat: return logprobs.chat(entries)
        case .completion: return logprobs.completion(entries, offset: &offset)
        }
    }

    private func envelope(object: String, choices: [[String: Any]]) -> [String: Any] {
        ["id": id, "object": object, "created": created, "model": model, "choices": choices,
         "system_fingerprint": NSNull()]
    }

    /// One choice of a whole response: its text, its `logprobs` value (`logprobsValue`) and why it ended.
    struct Choice {
        var text: String
        var logprobs: Any
        var finish: OpenAIFinishReason
    }

    /// The whole (non-streaming) response, choice i at index i.
    func complete(_ choices: [Choice], usage: CompletionUsage) -> Data {
        let items: [[String: Any]] = choices.enumerated().map { i, c in
            var choice: [String: Any] = ["index": i, "finish_reason": c.finish.rawValue, "logprobs": c.logprobs]
            switch endpoint {
            case .chat: choice["message"] = ["role": "assistant", "content": c.text, "refusal": NSNull()]
            case .completion: choice["text"] = c.text
            }
            return choice
        }
        var body = envelope(object: endpoint.rawValue, choices: items)
        body["usage"] = usage.usageJSON
        body["kv"] = usage.kvJSON
        return Self.serialize(body)
    }

    /// One stream chunk of choice `choice`: `text` and its tokens' `logprobs` (the chat's first
    /// chunk of a choice also carries the role), or the choice's final chunk with a finish reason.
    func chunk(choice index: Int, text: String?, logprobs: Any = NSNull(), first: Bool = false,
               finish: OpenAIFinishReason? = nil) -> Data {
        var choice: [String: Any] = ["index": index, "finish_reason": finish.map { $0.rawValue as Any } ?? NSNull(),
                                     "logprobs": logprobs]
        switch endpoint {
        case .chat:
            var delta: [String: Any] = [:]
            if first { delta["role"] = "assistant" }
            if let text { delta["content"] = text }
            choice["delta"] = delta
            return Self.serialize(envelope(object: "chat.completion.chunk", choices: [choice]))
        case .completion:
            choice["text"] = text ?? ""
            return Self.serialize(envelope(object: "text_completion", choices: [choice]))
        }
    }

    /// The usage chunk of `stream_options.include_usage`: no choices, `usage` and `kv`.
    func usageChunk(_ usage: CompletionUsage) -> Data {
        var body = envelope(object: endpoint == .chat ? "chat.completion.chunk" : "text_completion", choices: [])
        body["usage"] = usage.usageJSON
        body["kv"] = usage.kvJSON
        return Self.serialize(body)
    }

    /// The body of `GET /v1/models`.
    static func models(id: String, created: Int) -> Data {
        serialize(["object": "list", "data": [["id": id, "object": "model", "created": created, "owned_by": "scope"]]])
    }

    static func serialize(_ object: [String: Any]) -> Data {
        // Only strings, numbers, NSNull, arrays and dictionaries are put in: serialization cannot fail.
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}
