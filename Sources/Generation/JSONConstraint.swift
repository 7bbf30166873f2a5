import Tokenizer

/// What a sequence's output must be.
public enum ResponseFormat: Sendable, Equatable {
    /// Any text.
    case text
    /// One JSON object (OpenAI's `response_format: {"type": "json_object"}`): every sampled token
    /// keeps the text a prefix of one, and the sequence ends (finish reason: end of generation) as
    /// soon as the object closes.
    case jsonObject
}

/// Every token's bytes in one array, and which tokens may never appear inside JSON text (control,
/// unknown and unused tokens, and tokens of no bytes), built once per tokenizer.
final class TokenPieces: Sendable {
    let bytes: [UInt8]
    /// Token i's bytes are `bytes[offsets[i]..<offsets[i + 1]]`.
    let offsets: [Int]
    let excluded: [Bool]
    /// Printable ASCII other than `"` and `\` only: inside a string (not mid-character or escape)
    /// such a token is always allowed and leaves the recognizer in the string.
    let plainText: [Bool]

    init(_ tokenizer: Tokenizer) {
        var bytes: [UInt8] = [], offsets = [0], excluded: [Bool] = [], plainText: [Bool] = []
        for id in 0..<Int32(tokenizer.vocabularySize) {
            let piece = tokenizer.piece(id)
            bytes += piece
            offsets.append(bytes.count)
            excluded.append(piece.isEmpty || tokenizer.isSpecial(id))
            plainText.append(!excluded[excluded.count - 1]
                             && piece.allSatisfy { (0x20..<0x7F).contains($0) && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
        }
        self.bytes = bytes
        self.offsets = offsets
        self.excluded = excluded
        self.plainText = plainText
    }

    var count: Int { excluded.count }
}

/// Keeps a sequence's output a prefix of a JSON object: before each draw (`TokenDraw`), the logits
/// of every token whose bytes cannot continue the text so far become −∞ (the sampler never draws
/// those), and after it, the drawn token's bytes advance the recognizer (`JSONPrefix`).
struct JSONConstraint {
    let pieces: TokenPieces
    var state = JSONPrefix()

    init(pieces: TokenPieces) { self.pieces = pieces }

    var isComplete: Bool { state.isComplete }

    /// Sets the logits of the tokens that cannot come next to −∞; returns how many can.
    func mask(_ logits: UnsafeMutableBufferPointer<Float>) -> Int {
        var allowed = 0
        let inString = state.mode == .string
        pieces.bytes.withUnsafeBufferPointer { bytes in
            pieces.offsets.withUnsafeBufferPointer { offsets in
                for id in 0..<min(logits.count, pieces.count) {
                    if inString && pieces.plainText[id] {
                        allowed += 1
                        continue
                    }
                    var next = state
                    if !pieces.excluded[id], next.feed(UnsafeBufferPointer(rebasing: bytes[offsets[id]..<offsets[id + 1]])) {
                        allowed += 1
                    } else {
                        logits[id] = -.infinity
                    }
                }
            }
        }
        for id in pieces.count..<logits.count { logits[id] = -.infinity }
        return allowed
    }

    /// Advances past `token`; false (the state unusable) when `mask` did not allow it.
    mutating func accept(_ token: Int32) -> Bool {
        let id = Int(token)
        guard id >= 0, id < pieces.count, !pieces.excluded[id] else { return false }
        return state.feed(pieces.bytes[pieces.offsets[id]..<pieces.offsets[id + 1]])
    }
}
