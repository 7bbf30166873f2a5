import Tokenizer

/// What a sequence's output must be.
public enum ResponseFormat: Sendable, Equatable {
    /// Any text.
    case text
    /// One JSON value of the schema (its root is an object): every sampled token keeps the text a
    /// prefix of one, and the sequence ends (finish reason: end of generation) as soon as it closes.
    case json(JSONSchema)

    /// One JSON object (OpenAI's `response_format: {"type": "json_object"}`).
    public static let jsonObject = ResponseFormat.json(.anyObject)

    /// The schema the output follows; nil for free text.
    public var schema: JSONSchema? {
        if case .json(let s) = self { return s }
        return nil
    }
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
    /// The tokens (not excluded) whose bytes start with byte b, for each b.
    let byFirstByte: [[Int32]]
    let excludedIds: [Int]

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
        var groups = [[Int32]](repeating: [], count: 256)
        for id in excluded.indices where !excluded[id] { groups[Int(bytes[offsets[id]])].append(Int32(id)) }
        byFirstByte = groups
        excludedIds = excluded.indices.filter { excluded[$0] }
    }

    var count: Int { excluded.count }
}

/// Keeps a sequence's output a prefix of a JSON value of its schema: before each draw (`TokenDraw`),
/// the logits of every token whose bytes cannot continue the text so far become −∞ (the sampler
/// never draws those), and after it, the drawn token's bytes advance the recognizer (`JSONPrefix`).
struct JSONConstraint {
    let pieces: TokenPieces
    var state: JSONPrefix

    init(pieces: TokenPieces, schema: JSONSchema = .anyObject) {
        self.pieces = pieces
        state = JSONPrefix(schema: schema)
    }

    var isComplete: Bool { state.isComplete }

    /// Sets the logits of the tokens that cannot come next to −∞; returns how many can.
    ///
    /// Tokens are tried by their first byte: the recognizer takes each byte value once, and only
    /// the tokens of the bytes it took are tried further (in a string, printable ASCII without `"`
    /// and `\` is taken as it is).
    func mask(_ logits: UnsafeMutableBufferPointer<Float>) -> Int {
        for id in pieces.excludedIds where id < logits.count { logits[id] = -.infinity }
        for id in pieces.count..<max(pieces.count, logits.count) { logits[id] = -.infinity }
        var count = 0
        let inString = state.isInFreeString
        pieces.bytes.withUnsafeBufferPointer { bytes in
            pieces.offsets.withUnsafeBufferPointer { offsets in
                for first in 0..<256 {
                    let group = pieces.byFirstByte[first]
                    if group.isEmpty { continue }
                    var afterFirst = state
                    let firstTaken = afterFirst.feed(UInt8(first))
                    for id32 in group where Int(id32) < logits.count {
                        let id = Int(id32)
                        var ok = firstTaken
                        if ok && !(inString && pieces.plainText[id]) {
                            var next = afterFirst
                            ok = next.feed(UnsafeBufferPointer(rebasing: bytes[(offsets[id] + 1)..<offsets[id + 1]]))
                        }
                        if ok { count += 1 } else { logits[id] = -.infinity }
                    }
                }
            }
        }
        return count
    }

    /// Advances past `token`; false (the state unusable) when `mask` did not allow it.
    mutating func accept(_ token: Int32) -> Bool {
        let id = Int(token)
        guard id >= 0, id < pieces.count, !pieces.excluded[id] else { return false }
        return state.feed(pieces.bytes[pieces.offsets[id]..<pieces.offsets[id + 1]])
    }
}
