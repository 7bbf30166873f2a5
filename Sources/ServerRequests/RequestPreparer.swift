import Generation
import KVCache
import Tokenizer

/// Turns a checked request body into a scheduler request: applies the chat template or encodes
/// the prompt, resolves the compression over the server's default, and checks the prompt and
/// `max_tokens` against the model's context (OpenAI's 400 naming both numbers).
package struct RequestPreparer: Sendable {
    package let tokenizer: Tokenizer
    package let contextLength: Int
    package let vocabularySize: Int
    package let defaultCompression: CompressionConfig

    package init(tokenizer: Tokenizer, contextLength: Int, vocabularySize: Int, defaultCompression: CompressionConfig) {
        self.tokenizer = tokenizer
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
        self.defaultCompression = defaultCompression
    }

    /// One choice of a request: the prompt it answers (for `echo`) and its scheduler request.
    package struct Choice: Sendable {
        package var prompt: CompletionRequest.Prompt
        package var sequence: SequenceRequest
    }

    /// The request's choices, prompt after prompt and `n` per prompt (OpenAI's order: choice
    /// p·n + i is prompt p's i-th). Choice i of a prompt samples with seed + i, the seed being the
    /// request's or, without one, a random one drawn here (so repeated requests differ, as in
    /// OpenAI's API). An error in one of several prompts names it (`prompt[2]: …`).
    package func prepare(_ request: CompletionRequest) throws(APIError) -> [Choice] {
        let prompts = Self.prompts(request)
        // What does not depend on the prompt is checked and resolved once.
        if let bad = request.sampling.logitBias.keys.filter({ Int($0) >= vocabularySize }).min() {
            throw .invalid("logit_bias: token id \(bad) is outside the vocabulary (size \(vocabularySize))", param: "logit_bias")
        }
        let compression = try request.compression.resolve(over: defaultCompression)
        let seed = request.seed ?? UInt64.random(in: .min ... .max)
        var choices: [Choice] = []
        for (p, prompt) in prompts.enumerated() {
            var one = request
            one.prompt = prompt
            var sequence: SequenceRequest
            do throws(APIError) {
                sequence = try prepareOne(one, compression: compression)
            } catch {
                guard prompts.count > 1 else { throw error }
                var named = error
                named.message = "prompt[\(p)]: " + error.message
                throw named
            }
            for i in 0..<request.choicesPerPrompt {
                sequence.sampling.seed = seed &+ UInt64(i)
                choices.append(Choice(prompt: prompt, sequence: sequence))
            }
        }
        return choices
    }

    /// The prompts of a request, in order.
    private static func prompts(_ request: CompletionRequest) -> [CompletionRequest.Prompt] {
        if case .several(let prompts) = request.prompt { return prompts }
        return [request.prompt]
    }

    private func prepareOne(_ request: CompletionRequest, compression: CompressionConfig) throws(APIError) -> SequenceRequest {
        let prompt = try promptTokens(request.prompt)
        guard !prompt.isEmpty else { throw .invalid("the prompt encodes to no tokens", param: promptParam(request)) }
        if prompt.count >= contextLength {
            throw .invalid("This model's maximum context length is \(contextLength) tokens. However, your prompt is \(prompt.count) tokens, leaving no room for the completion. Please reduce the length of the \(promptParam(request)).",
                           param: promptParam(request), code: "context_length_exceeded")
        }
        let maxTokens = request.maxTokens ?? (contextLength - prompt.count)
        if maxTokens > contextLength - prompt.count {
            let param = request.endpoint == .chat ? "messages" : "prompt"
            // prompt + max_tokens may not fit in an Int (max_tokens is any positive JSON integer).
            let total = maxTokens > Int.max - prompt.count ? "more than \(Int.max)" : "\(prompt.count + maxTokens)"
            throw .invalid("This model's maximum context length is \(contextLength) tokens. However, you requested \(total) tokens (\(prompt.count) in the \(param), \(maxTokens) in the completion). Please reduce the length of the \(param) or completion.",
                           param: param, code: "context_length_exceeded")
        }
        return SequenceRequest(prompt: prompt, maxTokens: maxTokens, sampling: request.sampling, compression: compression,
                               ignoreEndOfGeneration: request.ignoreEndOfGeneration,
                               skipSpecialInText: request.endpoint == .chat, topLogprobs: request.logprobs,
                               promptLogprobs: request.echo ? request.logprobs : nil, responseFormat: request.responseFormat)
    }

    /// The text `echo` repeats: a text prompt as sent, a token list decoded (special tokens kept).
    package func echoText(_ prompt: CompletionRequest.Prompt) -> String {
        switch prompt {
        case .text(let text): return text
        case .tokens(let ids): return tokenizer.decode(ids, skipSpecial: false)
        case .chat, .several: return ""   // chat has no echo; several prompts echo one by one
        }
    }

    /// A chat through the model's chat template, with BOS when the vocabulary asks for it and the
    /// rendered text does not already begin with it.
    package func chatTokens(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws(APIError) -> [Int32] {
        let text: String
        do {
            text = try tokenizer.chatTemplate().render(messages, addGenerationPrompt: addGenerationPrompt)
        } catch {
            throw .invalid("cannot apply the model's chat template: \(error)", param: "messages")
        }
        let hasBOS = tokenizer.bosID.flatMap { tokenizer.tokenText($0) }.map { text.hasPrefix($0) } ?? false
        return tokenizer.encode(text, addSpecial: !hasBOS, parseSpecial: true)
    }

    /// Throws a 400 naming `name[i]` (and `name` as the parameter) for the first id outside the vocabulary.
    package func checkVocabulary(_ ids: [Int32], name: String) throws(APIError) {
        if let bad = ids.firstIndex(where: { Int($0) >= vocabularySize }) {
            throw .invalid("\(name)[\(bad)]: token id \(ids[bad]) is outside the vocabulary (size \(vocabularySize))", param: name)
        }
    }

    private func promptParam(_ request: CompletionRequest) -> String { request.endpoint == .chat ? "messages" : "prompt" }

    /// The prompt's ids: a chat goes through the model's chat template (with BOS when the
    /// vocabulary asks for it and the rendered text does not already begin with it, as
    /// `scope generate --chat` does); text is encoded with special-token text recognised.
    package func promptTokens(_ prompt: CompletionRequest.Prompt) throws(APIError) -> [Int32] {
        switch prompt {
        case .chat(let messages):
            return try chatTokens(messages, addGenerationPrompt: true)
        case .text(let text):
            return tokenizer.encode(text, addSpecial: true, parseSpecial: true)
        case .several:
            throw .invalid("several prompts are prepared one by one (RequestPreparer.prepare)", param: "prompt")
        case .tokens(let ids):
            try checkVocabulary(ids, name: "prompt")
            return ids
        }
    }
}
