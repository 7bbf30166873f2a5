/// Errors raised while building a tokenizer or rendering a chat.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// A metadata field is missing or malformed; `field` names it.
    case invalidVocabulary(field: String, reason: String)
    /// `tokenizer.ggml.model` names a vocabulary type this tokenizer does not implement.
    case unsupportedModel(String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer this tokenizer does not implement.
    case unsupportedPreTokenizer(String)
    /// The chat template text matches none of the known formats.
    case unknownChatTemplate(excerpt: String)
    /// A chat message cannot be rendered (e.g. a role the format does not accept).
    case invalidChat(String)

    public var description: String {
        switch self {
        case let .invalidVocabulary(field, reason):
            return "invalid tokenizer metadata '\(field)': \(reason)"
        case let .unsupportedModel(name):
            return "unsupported tokenizer model '\(name)' (tokenizer.ggml.model); supported: gpt2, llama"
        case let .unsupportedPreTokenizer(name):
            return "unsupported pre-tokenizer '\(name)' (tokenizer.ggml.pre); supported: "
                + PreTokenizerKind.knownNames.sorted().joined(separator: ", ")
        case let .unknownChatTemplate(excerpt):
            return "unknown chat template (supported: ChatML, Llama 3, Llama 2/Mistral [INST], Gemma); template begins: \(excerpt)"
        case let .invalidChat(reason):
            return "cannot render chat: \(reason)"
        }
    }
}
