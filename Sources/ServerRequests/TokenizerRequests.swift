import JSONStrict
import Tokenizer

/// `POST /tokenize` in vLLM's shape (what lm-evaluation-harness's remote tokenizer calls): a
/// `prompt` (special tokens added unless `add_special_tokens` is false) or chat `messages` (the chat
/// template applied, with the generation prompt unless `add_generation_prompt` is false).
package struct TokenizeRequest: Sendable, Equatable {
    package enum Input: Sendable, Equatable {
        case text(String, addSpecial: Bool)
        case chat([ChatMessage], addGenerationPrompt: Bool)
    }

    package var input: Input

    package init(body: JSONValue) throws(APIError) {
        let f = try JSONFields(body, name: "")
        switch (f.value("prompt"), f.value("messages")) {
        case (.some, .some):
            throw .invalid("give either 'prompt' or 'messages', not both", param: "messages")
        case (.some(let value), nil):
            guard case .string(let text) = value else { throw f.wrongType("prompt", expected: "a string", got: value) }
            input = .text(text, addSpecial: try f.bool("add_special_tokens") ?? true)
        case (nil, .some):
            input = .chat(try CompletionRequest.messages(f), addGenerationPrompt: try f.bool("add_generation_prompt") ?? true)
        case (nil, nil):
            throw .invalid("you must provide a 'prompt' or 'messages' parameter", param: "prompt", code: "missing_required_parameter")
        }
    }
}

/// `POST /detokenize` in vLLM's shape: `tokens`, a list of token ids.
package struct DetokenizeRequest: Sendable, Equatable {
    package var tokens: [Int32]

    package init(body: JSONValue) throws(APIError) {
        let f = try JSONFields(body, name: "")
        guard let value = f.value("tokens") else {
            throw .invalid("you must provide a 'tokens' parameter", param: "tokens", code: "missing_required_parameter")
        }
        guard case .array(let items) = value else { throw f.wrongType("tokens", expected: "an array of token ids", got: value) }
        tokens = try CompletionRequest.tokenList(items, path: "tokens", param: "tokens")
    }
}

extension RequestPreparer {
    /// The ids of a `/tokenize` request, as the generating endpoints would build them.
    package func tokens(_ request: TokenizeRequest) throws(APIError) -> [Int32] {
        switch request.input {
        case .text(let text, let addSpecial):
            return tokenizer.encode(text, addSpecial: addSpecial, parseSpecial: true)
        case .chat(let messages, let addGenerationPrompt):
            return try chatTokens(messages, addGenerationPrompt: addGenerationPrompt)
        }
    }

    /// The text of a `/detokenize` request (special tokens kept); an id outside the vocabulary is a 400.
    package func text(_ request: DetokenizeRequest) throws(APIError) -> String {
        try checkVocabulary(request.tokens, name: "tokens")
        return tokenizer.decode(request.tokens, skipSpecial: false)
    }
}
