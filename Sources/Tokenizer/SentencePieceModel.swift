/// SentencePiece-style BPE with scores (`llm_tokenizer_spm_session`), for `tokenizer.ggml.model = llama`.
///
/// Symbols start as UTF-8 characters; the adjacent pair whose concatenation is the vocabulary entry
/// with the highest score is merged first (ties: leftmost). Symbols that are not entries at the end
/// are emitted as byte-fallback tokens `<0xHH>`.
struct SentencePieceModel: Sendable {
    private let tokensByBytes: [ByteKey: Int32]
    private let scores: [Float]
    private let byteTokens: [Int32]
    private let unknownID: Int32?

    /// - Parameter idsByText: token id of each token text's UTF-8.
    init(idsByText map: [ByteKey: Int32], scores: [Float], unknownID: Int32?) {
        tokensByBytes = map
        self.scores = scores
        self.unknownID = unknownID
        byteTokens = (0..<256).map { b -> Int32 in
            let hex = String(b, radix: 16, uppercase: true)
            let name = "<0x" + (hex.count == 1 ? "0" + hex : hex) + ">"
            if let id = map[ByteKey(name.utf8)] { return id }
            if let id = map[ByteKey([UInt8(b)])] { return id }
            return -1
        }
    }

    private struct Bigram {
        let score: Float
        let left: Int32
        let right: Int32
        let size: Int32
    }

    /// Appends the ids of one raw-text fragment (already space-escaped to `▁`) to `output`.
    func encode(_ text: [UInt8], output: inout [Int32]) {
        guard !text.isEmpty else { return }
        // Symbols: (start, length) of each UTF-8 character.
        var start: [Int32] = []
        var length: [Int32] = []
        var offset = 0
        while offset < text.count {
            let n = min(Self.utf8Length(text[offset]), text.count - offset)
            start.append(Int32(offset))
            length.append(Int32(n))
            offset += n
        }
        let count = start.count
        var prev = (0..<count).map { Int32($0 - 1) }
        var next = (0..<count).map { $0 + 1 < count ? Int32($0 + 1) : -1 }
        var heap = MinHeap<Bigram> { a, b in
            a.score != b.score ? a.score > b.score : a.left < b.left
        }
        func tryAdd(_ left: Int32, _ right: Int32) {
            guard left >= 0, right >= 0 else { return }
            let s = Int(start[Int(left)])
            let size = Int(length[Int(left)] + length[Int(right)])
            guard let token = tokensByBytes[ByteKey(text[s..<(s + size)])], Int(token) < scores.count else { return }
            heap.push(Bigram(score: scores[Int(token)], left: left, right: right, size: Int32(size)))
        }
        for i in 1..<max(count, 1) { tryAdd(Int32(i - 1), Int32(i)) }
        while let b = heap.pop() {
            let l = Int(b.left), r = Int(b.right)
            guard length[l] > 0, length[r] > 0, length[l] + length[r] == b.size else { continue }
            length[l] += length[r]
            length[r] = 0
            next[l] = next[r]
            if next[r] >= 0 { prev[Int(next[r])] = Int32(l) }
            tryAdd(prev[l], Int32(l))
            tryAdd(Int32(l), next[l])
        }
        var i: Int32 = 0
        while i >= 0 {
            let s = Int(start[Int(i)]), n = Int(length[Int(i)])
            let piece = text[s..<(s + n)]
            if let token = tokensByBytes[ByteKey(piece)] {
                output.append(token)
            } else {
                for byte in piece {
                    let t = byteTokens[Int(byte)]
                    if t >= 0 { output.append(t) } else if let unknownID { output.append(unknownID) }
                }
            }
            i = next[Int(i)]
        }
    }

    @inline(__always)
    static func utf8Length(_ lead: UInt8) -> Int {
        switch lead {
        case 0..<0x80: return 1
        case 0xC0..<0xE0: return 2
        case 0xE0..<0xF0: return 3
        case 0xF0...0xFF: return 4
        default: return 1
        }
    }
}
