/// A byte-at-a-time recognizer of the prefixes of JSON texts (RFC 8259) whose top-level value is an
/// object: `feed` answers whether the bytes so far can still be continued into such a text, and
/// `isComplete` whether they already are one (the object closed; nothing may follow).
///
/// The state is a few bytes (the open containers are a bit stack, at most `maxDepth` deep), so
/// trying a token's bytes on a copy costs no allocation: `JSONConstraint` does that for every token
/// of the vocabulary at each step.
///
/// Restrictions beyond the grammar, so that a model cannot stall: at most `maxWhitespaceRun`
/// consecutive whitespace bytes between tokens of the grammar, and nothing after the closing brace.
/// Strings hold well-formed UTF-8 (lead and continuation bytes; overlong forms and surrogates are not
/// told apart) and no raw control characters.
public struct JSONPrefix: Sendable, Equatable {
    public static let maxDepth = 64
    public static let maxWhitespaceRun = 32

    enum Mode: UInt8, Sendable {
        case start                  // before the top-level object: whitespace or `{`
        case value                  // a value (after `:`, or `,` in an array)
        case valueOrClose           // after `[`: a value or `]`
        case keyOrClose             // after `{`: a key or `}`
        case key                    // after `,` in an object: a key
        case colon                  // after a key: `:`
        case afterValue             // `,` or the open container's closing bracket
        case string                 // inside a string (`isKey`: an object key)
        case escape                 // after `\` in a string
        case hex                    // in `\uXXXX`, `pending` digits to go
        case utf8                   // in a multi-byte character, `pending` continuation bytes to go
        case minus, zero, integer, dot, fraction, exponentMark, exponentSign, exponent   // a number
        case literal                // in `true`, `false` or `null`: `literal`, `pending` bytes matched
        case complete               // the top-level object closed
    }

    private(set) var mode = Mode.start
    private var isKey = false
    private var pending: UInt8 = 0
    private var literal: UInt8 = 0
    private var depth: UInt8 = 0
    /// Bit i set: the container at depth i + 1 is an object (clear: an array).
    private var objects: UInt64 = 0
    private var whitespaceRun: UInt8 = 0

    public init() {}

    /// Whether the bytes fed so far form a whole JSON object.
    public var isComplete: Bool { mode == .complete }

    private static let literals: [[UInt8]] = [Array("true".utf8), Array("false".utf8), Array("null".utf8)]

    /// Feeds `bytes` in order; false (leaving the state unusable) at the first byte that no JSON
    /// object text can continue with.
    @inline(__always)
    public mutating func feed<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        for b in bytes where !feed(b) { return false }
        return true
    }

    public mutating func feed(_ b: UInt8) -> Bool {
        switch mode {
        case .string: return stringByte(b)
        case .escape:
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                mode = .string
            case UInt8(ascii: "u"):
                mode = .hex
                pending = 4
            default: return false
            }
            return true
        case .hex:
            guard Self.isHex(b) else { return false }
            pending -= 1
            if pending == 0 { mode = .string }
            return true
        case .utf8:
            guard b & 0xC0 == 0x80 else { return false }
            pending -= 1
            if pending == 0 { mode = .string }
            return true
        case .minus:
            guard Self.isDigit(b) else { return false }
            mode = b == UInt8(ascii: "0") ? .zero : .integer
            return true
        case .zero, .integer, .fraction, .exponent:
            if Self.isDigit(b), mode != .zero { return true }
            if b == UInt8(ascii: "."), mode == .zero || mode == .integer { mode = .dot; return true }
            if b == UInt8(ascii: "e") || b == UInt8(ascii: "E"), mode != .exponent { mode = .exponentMark; return true }
            // The number ended: the byte belongs to what follows it.
            mode = .afterValue
            return feed(b)
        case .dot:
            guard Self.isDigit(b) else { return false }
            mode = .fraction
            return true
        case .exponentMark:
            if b == UInt8(ascii: "+") || b == UInt8(ascii: "-") { mode = .exponentSign; return true }
            guard Self.isDigit(b) else { return false }
            mode = .exponent
            return true
        case .exponentSign:
            guard Self.isDigit(b) else { return false }
            mode = .exponent
            return true
        case .literal:
            let word = Self.literals[Int(literal)]
            guard b == word[Int(pending)] else { return false }
            pending += 1
            if Int(pending) == word.count { mode = .afterValue }
            return true
        case .complete:
            return false
        case .start, .value, .valueOrClose, .keyOrClose, .key, .colon, .afterValue:
            return structural(b)
        }
    }

    /// A byte between the grammar's tokens: whitespace, or what the mode expects next.
    private mutating func structural(_ b: UInt8) -> Bool {
        if Self.isWhitespace(b) {
            guard whitespaceRun < Self.maxWhitespaceRun else { return false }
            whitespaceRun += 1
            return true
        }
        whitespaceRun = 0
        switch mode {
        case .start:
            guard b == UInt8(ascii: "{") else { return false }
            return open(object: true)
        case .keyOrClose, .key:
            if b == UInt8(ascii: "}"), mode == .keyOrClose { return close() }
            guard b == UInt8(ascii: "\"") else { return false }
            mode = .string
            isKey = true
            return true
        case .colon:
            guard b == UInt8(ascii: ":") else { return false }
            mode = .value
            return true
        case .valueOrClose:
            if b == UInt8(ascii: "]") { return close() }
            return startValue(b)
        case .value:
            return startValue(b)
        case .afterValue:
            let inObject = objects >> (UInt64(depth) - 1) & 1 == 1
            switch b {
            case UInt8(ascii: ","):
                mode = inObject ? .key : .value
                return true
            case UInt8(ascii: "}") where inObject: return close()
            case UInt8(ascii: "]") where !inObject: return close()
            default: return false
            }
        default:
            return false
        }
    }

    /// The first byte of a value.
    private mutating func startValue(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "{"): return open(object: true)
        case UInt8(ascii: "["): return open(object: false)
        case UInt8(ascii: "\""):
            mode = .string
            isKey = false
        case UInt8(ascii: "-"): mode = .minus
        case UInt8(ascii: "0"): mode = .zero
        case UInt8(ascii: "1")...UInt8(ascii: "9"): mode = .integer
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            literal = b == UInt8(ascii: "t") ? 0 : b == UInt8(ascii: "f") ? 1 : 2
            pending = 1
            mode = .literal
        default: return false
        }
        return true
    }

    private mutating func stringByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "\""): mode = isKey ? .colon : .afterValue
        case UInt8(ascii: "\\"): mode = .escape
        case 0..<0x20: return false
        case 0x20..<0x80: break
        case 0xC2...0xDF: mode = .utf8; pending = 1
        case 0xE0...0xEF: mode = .utf8; pending = 2
        case 0xF0...0xF4: mode = .utf8; pending = 3
        default: return false   // a continuation byte without a lead, or a byte UTF-8 never uses
        }
        return true
    }

    private mutating func open(object: Bool) -> Bool {
        guard Int(depth) < Self.maxDepth else { return false }
        if object { objects |= 1 << UInt64(depth) } else { objects &= ~(1 << UInt64(depth)) }
        depth += 1
        mode = object ? .keyOrClose : .valueOrClose
        return true
    }

    private mutating func close() -> Bool {
        depth -= 1
        mode = depth == 0 ? .complete : .afterValue
        return true
    }

    @inline(__always) private static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }
    @inline(__always) private static func isHex(_ b: UInt8) -> Bool {
        isDigit(b) || (b | 0x20) &- UInt8(ascii: "a") < 6
    }
    @inline(__always) private static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
    }
}
