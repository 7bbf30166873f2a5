import GGUF

extension TokenizerVocabulary {
    /// Reads the `tokenizer.ggml.*` metadata (and `tokenizer.chat_template`) of a GGUF file.
    /// Throws `TokenizerError.invalidVocabulary` naming the key when a value is missing or of the wrong type.
    public init(gguf file: GGUFFile) throws {
        let m = file.metadata
        func field(_ key: String) -> String { "tokenizer.\(key) in \(file.path)" }
        func string(_ key: String, required: Bool = false) throws -> String? {
            guard let v = m["tokenizer." + key] else {
                if required { throw TokenizerError.invalidVocabulary(field: field(key), reason: "missing") }
                return nil
            }
            guard let s = v.stringValue else {
                throw TokenizerError.invalidVocabulary(field: field(key), reason: "expected string, found \(v.typeName)")
            }
            return s
        }
        func id(_ key: String) throws -> Int32? {
            guard let v = m["tokenizer.ggml." + key] else { return nil }
            guard let i = v.intValue else {
                throw TokenizerError.invalidVocabulary(field: field("ggml." + key), reason: "expected integer, found \(v.typeName)")
            }
            return i >= 0 && i <= Int(Int32.max) ? Int32(i) : nil
        }
        func flag(_ key: String) throws -> Bool? {
            guard let v = m["tokenizer.ggml." + key] else { return nil }
            guard let b = v.boolValue else {
                throw TokenizerError.invalidVocabulary(field: field("ggml." + key), reason: "expected bool, found \(v.typeName)")
            }
            return b
        }
        guard let tokensValue = m["tokenizer.ggml.tokens"] else {
            throw TokenizerError.invalidVocabulary(field: field("ggml.tokens"), reason: "missing")
        }
        guard let tokens = tokensValue.stringArray else {
            throw TokenizerError.invalidVocabulary(field: field("ggml.tokens"), reason: "expected array of strings, found \(tokensValue.typeName)")
        }
        var types: [TokenType] = []
        if let v = m["tokenizer.ggml.token_type"] {
            guard let raw = v.intArray else {
                throw TokenizerError.invalidVocabulary(field: field("ggml.token_type"), reason: "expected array of integers, found \(v.typeName)")
            }
            types.reserveCapacity(raw.count)
            for (index, r) in raw.enumerated() {
                guard let t = Int32(exactly: r).flatMap(TokenType.init(rawValue:)) else {
                    throw TokenizerError.invalidVocabulary(field: field("ggml.token_type"), reason: "entry \(index) is \(r), not a token type 0...6")
                }
                types.append(t)
            }
        }
        var scores: [Float] = []
        if let v = m["tokenizer.ggml.scores"] {
            guard let s = v.floatArray else {
                throw TokenizerError.invalidVocabulary(field: field("ggml.scores"), reason: "expected array of numbers, found \(v.typeName)")
            }
            scores = s
        }
        var merges: [String] = []
        if let v = m["tokenizer.ggml.merges"] {
            guard let s = v.stringArray else {
                throw TokenizerError.invalidVocabulary(field: field("ggml.merges"), reason: "expected array of strings, found \(v.typeName)")
            }
            merges = s
        }
        /// A special token's id, which must name a token of the vocabulary when given.
        func vocabularyID(_ key: String) throws -> Int32? {
            guard let i = try id(key) else { return nil }
            guard Int(i) < tokens.count else {
                throw TokenizerError.invalidVocabulary(field: field("ggml." + key), reason: "token id \(i) is outside the vocabulary of \(tokens.count) tokens")
            }
            return i
        }
        self.init(
            model: try string("ggml.model", required: true)!,
            preTokenizer: try string("ggml.pre"),
            tokens: tokens, tokenTypes: types, scores: scores, merges: merges,
            bosID: try vocabularyID("bos_token_id"), eosID: try vocabularyID("eos_token_id"), eotID: try vocabularyID("eot_token_id"),
            eomID: try vocabularyID("eom_token_id"), unknownID: try vocabularyID("unknown_token_id"),
            paddingID: try vocabularyID("padding_token_id"),
            addBOS: try flag("add_bos_token"), addEOS: try flag("add_eos_token"), addSpacePrefix: try flag("add_space_prefix"),
            chatTemplate: try string("chat_template"))
    }
}

extension Tokenizer {
    /// The tokenizer described by a GGUF file's metadata.
    public convenience init(gguf file: GGUFFile) throws {
        try self.init(vocabulary: TokenizerVocabulary(gguf: file))
    }

    /// The tokenizer of the GGUF file at `path`.
    public convenience init(ggufPath path: String) throws {
        try self.init(gguf: GGUFFile(path: path))
    }
}
