/// Byte-level BPE merges (`llm_tokenizer_bpe_session::tokenize`).
///
/// Every string that takes part in merging is a *symbol*: symbols `0..<vocabularySize` are the
/// tokens themselves (those spelled in the byte alphabet), higher ones are merge sides or results
/// that are not tokens. A merge is a pair of symbols with a rank and a result symbol, so the merge
/// loop works on integers only.
struct BytePairModel: Sendable {
    private let tokenCount: Int
    /// Token id of each alphabet spelling (UTF-8), shared with the tokenizer.
    private let idsByText: [ByteKey: Int32]
    /// Whether each token is spelled in the byte alphabet (only those can come out of merging).
    private let isByteLevel: [Bool]
    /// Raw bytes of the non-token symbols (ids `tokenCount...`).
    private let extraBytes: [[UInt8]]
    /// Symbol of each single byte.
    private let byteSymbol: [Int32]
    /// (left << 32 | right) -> rank and result symbol.
    private let merges: [UInt64: Merge]

    struct Merge: Sendable {
        let rank: Int32
        let result: Int32
    }

    /// - Parameters:
    ///   - idsByText: token id of each token text's UTF-8.
    ///   - isByteLevel: per token, whether its text is entirely in the byte alphabet.
    ///   - mergeRules: `tokenizer.ggml.merges`, `"left right"` in rank order.
    init(idsByText: [ByteKey: Int32], isByteLevel: [Bool], mergeRules: [String]) throws {
        self.idsByText = idsByText
        self.isByteLevel = isByteLevel
        tokenCount = isByteLevel.count
        var extraIDs: [ByteKey: Int32] = [:]
        var extras: [[UInt8]] = []
        let count = tokenCount
        func symbol(_ text: [UInt8]) -> Int32? {
            let key = ByteKey(text)
            if let id = idsByText[key], isByteLevel[Int(id)] { return id }
            if let id = extraIDs[key] { return id }
            let (raw, strict) = ByteLevelAlphabet.decode(utf8: text)
            guard strict else { return nil }  // not in the alphabet: merging can never produce it
            let id = Int32(count + extras.count)
            extraIDs[key] = id
            extras.append(raw)
            return id
        }
        byteSymbol = (0..<256).map { symbol(ByteLevelAlphabet.encode([UInt8($0)]))! }
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(mergeRules.count)
        for (rank, rule) in mergeRules.enumerated() {
            let utf8 = Array(rule.utf8)
            let firstLength = utf8.isEmpty ? 0 : SentencePieceModel.utf8Length(utf8[0])
            guard let space = utf8.indices.dropFirst(firstLength).first(where: { utf8[$0] == 0x20 }) else {
                throw TokenizerError.invalidVocabulary(
                    field: "tokenizer.ggml.merges", reason: "entry \(rank) '\(rule)' has no separating space")
            }
            let left = Array(utf8[..<space]), right = Array(utf8[(space + 1)...])
            guard let l = symbol(left), let r = symbol(right), let result = symbol(left + right) else { continue }
            let key = UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))
            if table[key] == nil { table[key] = Merge(rank: Int32(rank), result: result) }
        }
        merges = table
        extraBytes = extras
    }

    /// Token id of a raw byte string that is a vocabulary entry.
    func token(forBytes bytes: [UInt8]) -> Int32? {
        guard let id = idsByText[ByteKey(ByteLevelAlphabet.encode(bytes))], isByteLevel[Int(id)] else { return nil }
        return id
    }

    /// Scratch space for `encode`, reused across pre-tokens.
    struct Workspace {
        var symbols: [Int32] = []
        var next: [Int32] = []
        var prev: [Int32] = []
        var heap = MinHeap<Candidate> { a, b in
            a.rank != b.rank ? a.rank < b.rank : a.left < b.left
        }
    }

    struct Candidate {
        let rank: Int32
        let left: Int32
        let leftSymbol: Int32
        let rightSymbol: Int32
    }

    /// Appends the token ids of one pre-token (raw bytes) to `output`.
    func encode(_ bytes: [UInt8], ignoreMerges: Bool, workspace ws: inout Workspace, output: inout [Int32]) {
        guard !bytes.isEmpty else { return }
        if bytes.count == 1 || ignoreMerges, let t = token(forBytes: bytes) {
            output.append(t)
            return
        }
        let n = bytes.count
        ws.symbols.removeAll(keepingCapacity: true)
        ws.next.removeAll(keepingCapacity: true)
        ws.prev.removeAll(keepingCapacity: true)
        for (i, b) in bytes.enumerated() {
            ws.symbols.append(byteSymbol[Int(b)])
            ws.prev.append(Int32(i - 1))
            ws.next.append(i + 1 < n ? Int32(i + 1) : -1)
        }
        ws.heap.removeAll()
        for i in 0..<(n - 1) { addCandidate(Int32(i), Int32(i + 1), &ws) }
        while let c = ws.heap.pop() {
            let l = Int(c.left)
            let r = ws.next[l]
            // Stale: the left symbol changed (merged or absorbed) or its neighbour changed.
            guard ws.symbols[l] == c.leftSymbol, r >= 0, ws.symbols[Int(r)] == c.rightSymbol else { continue }
            let key = UInt64(UInt32(c.leftSymbol)) << 32 | UInt64(UInt32(c.rightSymbol))
            guard let merge = merges[key] else { continue }
            ws.symbols[l] = merge.result
            ws.symbols[Int(r)] = -1
            let rn = ws.next[Int(r)]
            ws.next[l] = rn
            if rn >= 0 { ws.prev[Int(rn)] = Int32(l) }
            if ws.prev[l] >= 0 { addCandidate(ws.prev[l], Int32(l), &ws) }
            if rn >= 0 { addCandidate(Int32(l), rn, &ws) }
        }
        var i: Int32 = 0
        while i >= 0 {
            let symbol = Int(ws.symbols[Int(i)])
            if symbol < tokenCount {
                output.append(Int32(symbol))
            } else {
                // Not a token: the tokens of its single bytes.
                for b in extraBytes[symbol - tokenCount] {
                    let s = Int(byteSymbol[Int(b)])
                    if s < tokenCount { output.append(Int32(s)) }
                }
            }
            i = ws.next[Int(i)]
        }
    }

    @inline(__always)
    private func addCandidate(_ left: Int32, _ right: Int32, _ ws: inout Workspace) {
        let ls = ws.symbols[Int(left)], rs = ws.symbols[Int(right)]
        let key = UInt64(UInt32(ls)) << 32 | UInt64(UInt32(rs))
        guard let merge = merges[key] else { return }
        ws.heap.push(Candidate(rank: merge.rank, left: left, leftSymbol: ls, rightSymbol: rs))
    }
}
