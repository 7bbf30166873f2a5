/// Kind of a vocabulary entry (`tokenizer.ggml.token_type`, llama.cpp's `llama_token_type`).
public enum TokenType: Int32, Sendable, Codable, CaseIterable {
    case undefined = 0
    case normal = 1
    case unknown = 2
    case control = 3
    case userDefined = 4
    case unused = 5
    case byte = 6
}

/// Everything a tokenizer is built from, as plain values (normally read from GGUF metadata
/// `tokenizer.ggml.*`; see `Tokenizer.init(gguf:)`).
public struct TokenizerVocabulary: Sendable, Codable, Equatable {
    /// `tokenizer.ggml.model`: `"gpt2"` (byte-level BPE) or `"llama"` (SentencePiece-style BPE with scores).
    public var model: String
    /// `tokenizer.ggml.pre`: pre-tokenizer name for byte-level BPE (`smollm`, `gpt-2`, `llama-bpe`, `qwen2`, `default`); nil when absent.
    public var preTokenizer: String?
    /// Token texts, indexed by id (byte-level BPE: in the GPT-2 byte alphabet; SentencePiece: with `▁` for spaces).
    public var tokens: [String]
    /// Token types, same length as `tokens` (empty means all `.normal`).
    public var tokenTypes: [TokenType]
    /// SentencePiece scores, same length as `tokens` (empty for byte-level BPE).
    public var scores: [Float]
    /// BPE merges as `"left right"`, in rank order (empty for SentencePiece).
    public var merges: [String]
    public var bosID: Int32?
    public var eosID: Int32?
    public var eotID: Int32?
    public var eomID: Int32?
    public var unknownID: Int32?
    public var paddingID: Int32?
    /// Explicit flags; nil means the model's default (llama: add BOS, space prefix; gpt2: neither, unless the pre-tokenizer sets it).
    public var addBOS: Bool?
    public var addEOS: Bool?
    public var addSpacePrefix: Bool?
    /// `tokenizer.chat_template` (Jinja text), if any.
    public var chatTemplate: String?

    public init(
        model: String, preTokenizer: String? = nil, tokens: [String], tokenTypes: [TokenType] = [],
        scores: [Float] = [], merges: [String] = [], bosID: Int32? = nil, eosID: Int32? = nil,
        eotID: Int32? = nil, eomID: Int32? = nil, unknownID: Int32? = nil, paddingID: Int32? = nil,
        addBOS: Bool? = nil, addEOS: Bool? = nil, addSpacePrefix: Bool? = nil, chatTemplate: String? = nil
    ) {
        self.model = model
        self.preTokenizer = preTokenizer
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.scores = scores
        self.merges = merges
        self.bosID = bosID
        self.eosID = eosID
        self.eotID = eotID
        self.eomID = eomID
        self.unknownID = unknownID
        self.paddingID = paddingID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
        self.chatTemplate = chatTemplate
    }
}
