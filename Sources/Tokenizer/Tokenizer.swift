/// Text ↔ token ids for a GGUF vocabulary: byte-level BPE (`gpt2`, with the `smollm`, `gpt-2`,
/// `llama-bpe`, `qwen2` and `default` pre-tokenizers) or SentencePiece-style BPE (`llama`),
/// following llama.cpp's `llama-vocab.cpp`. Immutable and safe to share between threads.
public final class Tokenizer: Sendable {
    enum Engine: Sendable {
        case bytePair(BytePairModel, PreTokenizer, PreTokenizerKind)
        case sentencePiece(SentencePieceModel)
    }

    let engine: Engine
    let tokenTexts: [String]
    let tokenTypes: [TokenType]
    /// Raw bytes each token decodes to.
    let pieces: [[UInt8]]
    /// Id of each token text (UTF-8 bytes, so canonically equivalent spellings stay distinct).
    let idsByText: [ByteKey: Int32]
    let specials: SpecialTokenPartition
    let cleanSpaces: Bool

    /// The vocabulary kind, `"gpt2"` or `"llama"`.
    public let model: String
    public let bosID: Int32?
    public let eosID: Int32?
    public let eotID: Int32?
    public let eomID: Int32?
    public let unknownID: Int32?
    public let paddingID: Int32?
    /// `encode(addSpecial: true)` prepends BOS / appends EOS.
    public let addBOS: Bool
    public let addEOS: Bool
    /// SentencePiece: a space is put before each raw-text fragment that starts the text or follows a special token.
    public let addSpacePrefix: Bool
    /// Ids that end generation: EOS, EOT, EOM and every token whose text is a known end-of-turn marker.
    public let endOfGeneration: Set<Int32>
    /// `tokenizer.chat_template`, if the vocabulary has one.
    public let chatTemplateText: String?
    /// Non-fatal problems found while loading (e.g. a missing pre-tokenizer name).
    public let warnings: [String]

    /// Texts llama.cpp treats as end-of-turn markers when the metadata names no EOT token, in preference order.
    static let endOfTurnTexts = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "_<EOT>",
        "<｜end▁of▁sentence｜>",
    ]
    static let endOfGenerationTexts = endOfTurnTexts + ["<|eom_id|>"]

    public var vocabularySize: Int { tokenTexts.count }

    /// Builds a tokenizer from plain vocabulary values; throws on inconsistent or unsupported data.
    public init(vocabulary v: TokenizerVocabulary) throws {
        let n = v.tokens.count
        guard n > 0 else { throw TokenizerError.invalidVocabulary(field: "tokenizer.ggml.tokens", reason: "empty") }
        guard n < Int(Int32.max) else {
            throw TokenizerError.invalidVocabulary(field: "tokenizer.ggml.tokens", reason: "\(n) entries is too many")
        }
        var types = v.tokenTypes
        if types.isEmpty { types = Array(repeating: .normal, count: n) }
        guard types.count == n else {
            throw TokenizerError.invalidVocabulary(
                field: "tokenizer.ggml.token_type", reason: "\(types.count) entries for \(n) tokens")
        }
        let utf8Texts = v.tokens.map { Array($0.utf8) }
        var ids: [ByteKey: Int32] = [:]
        ids.reserveCapacity(n)
        for (id, text) in utf8Texts.enumerated() { ids[ByteKey(text)] = Int32(id) }
        func special(_ value: Int32?, _ fallback: Int32?) -> Int32? {
            if let value, value >= 0, Int(value) < n { return value }
            return fallback
        }
        var warnings: [String] = []
        let isSentencePiece: Bool
        switch v.model {
        case "llama": isSentencePiece = true
        case "gpt2": isSentencePiece = false
        default: throw TokenizerError.unsupportedModel(v.model)
        }

        // End-of-turn detection by text, like llama.cpp; those tokens become CONTROL.
        var eot = special(v.eotID, nil)
        if eot == nil {
            eot = Self.endOfTurnTexts.lazy.compactMap { ids[ByteKey($0.utf8)] }.first
        }
        var eog = Set<Int32>()
        for text in Self.endOfGenerationTexts {
            guard let id = ids[ByteKey(text.utf8)] else { continue }
            eog.insert(id)
            types[Int(id)] = .control
        }

        model = v.model
        tokenTexts = v.tokens
        idsByText = ids
        chatTemplateText = v.chatTemplate
        eotID = eot
        eomID = special(v.eomID, ids[ByteKey("<|eom_id|>".utf8)])
        paddingID = special(v.paddingID, nil)

        if isSentencePiece {
            bosID = special(v.bosID, 1 < n ? 1 : nil)
            eosID = special(v.eosID, 2 < n ? 2 : nil)
            unknownID = special(v.unknownID, 0)
            addBOS = v.addBOS ?? true
            addEOS = v.addEOS ?? false
            addSpacePrefix = v.addSpacePrefix ?? true
            cleanSpaces = false
            var scores = v.scores
            if scores.isEmpty { scores = Array(repeating: 0, count: n) }
            guard scores.count == n else {
                throw TokenizerError.invalidVocabulary(
                    field: "tokenizer.ggml.scores", reason: "\(scores.count) entries for \(n) tokens")
            }
            engine = .sentencePiece(SentencePieceModel(idsByText: ids, scores: scores, unknownID: unknownID))
            pieces = zip(v.tokens, types).map { text, type in Self.sentencePiecePiece(text, type) }
        } else {
            let kind: PreTokenizerKind
            if let name = v.preTokenizer {
                kind = try PreTokenizerKind(metadataName: name)
            } else {
                kind = .default
                warnings.append("tokenizer.ggml.pre is missing: using the 'default' pre-tokenizer; GENERATION QUALITY WILL BE DEGRADED")
            }
            guard !v.merges.isEmpty else {
                throw TokenizerError.invalidVocabulary(field: "tokenizer.ggml.merges", reason: "missing or empty (required for gpt2)")
            }
            var isByteLevel = [Bool](repeating: false, count: n)
            var decoded: [[UInt8]] = []
            decoded.reserveCapacity(n)
            for (id, text) in utf8Texts.enumerated() {
                let (bytes, strict) = ByteLevelAlphabet.decode(utf8: text)
                isByteLevel[id] = strict
                decoded.append(bytes)
            }
            let model = try BytePairModel(idsByText: ids, isByteLevel: isByteLevel, mergeRules: v.merges)
            bosID = special(v.bosID, nil)
            eosID = special(v.eosID, nil)
            unknownID = special(v.unknownID, nil)
            addBOS = v.addBOS ?? kind.addsBOSByDefault
            addEOS = v.addEOS ?? false
            addSpacePrefix = v.addSpacePrefix ?? false
            cleanSpaces = kind.cleansSpaces
            engine = .bytePair(model, PreTokenizer(kind: kind), kind)
            pieces = (0..<n).map { types[$0] == .normal || types[$0] == .undefined ? decoded[$0] : utf8Texts[$0] }
        }
        if let eos = eosID { eog.insert(eos) }
        if let eot { eog.insert(eot) }
        if let eom = eomID { eog.insert(eom) }
        endOfGeneration = eog
        tokenTypes = types
        specials = SpecialTokenPartition(texts: v.tokens, types: types)
        self.warnings = warnings
    }

    private static func sentencePiecePiece(_ text: String, _ type: TokenType) -> [UInt8] {
        switch type {
        case .normal, .undefined:
            var out: [UInt8] = []
            for s in text.unicodeScalars {
                if s.value == 0x2581 { out.append(0x20) } else { out.append(contentsOf: String(s).utf8) }
            }
            return out
        case .byte:
            // "<0xHH>"
            let u = Array(text.utf8)
            if u.count == 6, let b = UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16) { return [b] }
            return Array(text.utf8)
        default:
            return Array(text.utf8)
        }
    }

    /// Type of a token, nil for an id out of range.
    public func tokenType(_ id: Int32) -> TokenType? {
        id >= 0 && Int(id) < tokenTypes.count ? tokenTypes[Int(id)] : nil
    }

    /// The token text as stored in the vocabulary, nil for an id out of range.
    public func tokenText(_ id: Int32) -> String? {
        id >= 0 && Int(id) < tokenTexts.count ? tokenTexts[Int(id)] : nil
    }

    /// The id of a vocabulary entry given its stored text (e.g. `"<|im_end|>"`).
    public func id(of text: String) -> Int32? { idsByText[ByteKey(text.utf8)] }

    /// Raw bytes a token stands for (control tokens: their text); empty for an id out of range.
    public func piece(_ id: Int32) -> [UInt8] {
        id >= 0 && Int(id) < pieces.count ? pieces[Int(id)] : []
    }

    /// Whether decoding with `skipSpecial` drops this token (control, unknown and unused tokens).
    public func isSpecial(_ id: Int32) -> Bool {
        switch tokenType(id) {
        case .control?, .unknown?, .unused?: return true
        default: return false
        }
    }
}
