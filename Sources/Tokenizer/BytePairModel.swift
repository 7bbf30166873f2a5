/// Byte-level BPE merges (`llm_tokenizer_bpe_session::tokenize`) over raw bytes.
///
/// Every string that takes part in merging (vocabulary entries, merge sides, merge results) is
/// interned as a *symbol*; a merge is a pair of symbols with a rank and a result symbol, so the
/// merge loop works on integers only.
struct BytePairModel: Sendable {
    /// Token id of each symbol, or -1 when the symbol's bytes are not a vocabulary entry.
    private let symbolToken: [Int32]
    private let symbolBytes: [[UInt8]]
    /// Symbol of each single byte.
    private let byteSymbol: [Int32]
    /// (left << 32 | right) -> rank and result symbol.
    private let merges: [UInt64: Merge]
    private let symbolsByBytes: [[UInt8]: Int32]

    struct Merge: Sendable {
        let rank: Int32
        let result: Int32
    }

    /// - Parameters:
    ///   - tokenBytes: raw bytes of each token that BPE may produce (nil for entries it cannot), by id.
    ///   - merges: merge rules as (left bytes, right bytes), in rank order.
    init(tokenBytes: [[UInt8]?], merges mergeList: [([UInt8], [UInt8])]) {
        var ids: [[UInt8]: Int32] = [:]
        var tokenOf: [Int32] = []
        var bytesOf: [[UInt8]] = []
        ids.reserveCapacity(tokenBytes.count + 256)
        func intern(_ bytes: [UInt8]) -> Int32 {
            if let id = ids[bytes] { return id }
            let id = Int32(bytesOf.count)
            ids[bytes] = id
            bytesOf.append(bytes)
            tokenOf.append(-1)
            return id
        }
        for (token, bytes) in tokenBytes.enumerated() {
            guard let bytes, !bytes.isEmpty else { continue }
            let symbol = intern(bytes)
            tokenOf[Int(symbol)] = Int32(token)  // later duplicates win, like llama.cpp's token_to_id
        }
        byteSymbol = (0..<256).map { intern([UInt8($0)]) }
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(mergeList.count)
        for (rank, (left, right)) in mergeList.enumerated() {
            let l = intern(left), r = intern(right)
            let key = UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))
            if table[key] == nil {
                table[key] = Merge(rank: Int32(rank), result: intern(left + right))
            }
        }
        merges = table
        symbolToken = tokenOf
        symbolBytes = bytesOf
        symbolsByBytes = ids
    }

    /// Token id of a byte string that is a vocabulary entry.
    func token(forBytes bytes: [UInt8]) -> Int32? {
        guard let s = symbolsByBytes[bytes] else { return nil }
        let t = symbolToken[Int(s)]
        return t >= 0 ? t : nil
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
            let t = symbolToken[symbol]
            if t >= 0 {
                output.append(t)
            } else {
                for b in symbolBytes[symbol] {
                    let bt = symbolToken[Int(byteSymbol[Int(b)])]
                    if bt >= 0 { output.append(bt) }
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
