/// A byte-at-a-time recognizer of the prefixes of JSON texts (RFC 8259) that are values of a
/// `JSONSchema` (by default `JSONSchema.anyObject`: any JSON object): `feed` answers whether the
/// bytes so far can still be continued into such a text, and `isComplete` whether they already are
/// one (the root object closed; nothing may follow).
///
/// The state is a stack of frames, one per open value (object, array, string, number, literal), each
/// following its schema node. Every state it accepts can be completed: a comma comes only when
/// another key or item may follow, a closing bracket only when the required properties and
/// `minItems` are there. Only the top frame changes within a scalar or key, so trying a token's
/// bytes on a copy allocates nothing unless a value opens or closes (`JSONConstraint` tries every
/// token of the vocabulary at each step).
///
/// Restrictions beyond the grammar, so that a model cannot stall: at most `maxDepth` open objects
/// and arrays, at most `maxWhitespaceRun` consecutive whitespace bytes between tokens of the
/// grammar, and nothing after the root's closing brace. Strings hold well-formed UTF-8 (lead and
/// continuation bytes; overlong forms and surrogates are not told apart) and no raw control characters.
public struct JSONPrefix: Sendable {
    public static let maxDepth = 64
    public static let maxWhitespaceRun = 32

    enum Mode: UInt8, Sendable {
        case start                        // before the root value: whitespace or its first byte
        case complete                     // the root value closed
        case keyOrClose, key, colon       // an object: after `{` (a key or `}`), after `,`, after a key
        case propertyValue                // an object: after `:`, the value's first byte
        case afterProperty                // an object: `,` or `}`
        case declaredKey                  // an object: inside a declared key (`index` bytes matched)
        case freeKey                      // an object: a free key's string frame is above
        case itemOrClose, item            // an array: after `[` (an item or `]`), after `,`
        case afterItem                    // an array: `,` or `]`
        case string, escape, hex, utf8    // a string (`pending`: hex digits or continuation bytes to go)
        case minus, zero, integer, dot, fraction, exponentMark, exponentSign, exponent   // a number
        case literal                      // an enum value, `true`, `false` or `null` (`index` bytes matched)
    }

    struct Frame: Sendable {
        var node: Int32
        var mode: Mode
        var pending: UInt8 = 0
        /// Array: items done. Declared key, literal: bytes matched.
        var index = 0
        /// Object: the declared properties present (bit i: property i).
        var seen: UInt64 = 0
        /// Declared key, literal: the keys or texts that still match (bit i: entry i).
        var candidates: UInt64 = 0
        /// Object: the property whose value comes next (-1: a free key's).
        var property: Int8 = -1
    }

    public let schema: JSONSchema
    /// The open values below `top`, the root's first.
    private var below: [Frame] = []
    private var top: Frame
    private var containers: UInt8 = 0
    private var whitespaceRun: UInt8 = 0

    public init(schema: JSONSchema = .anyObject) {
        self.schema = schema
        top = Frame(node: schema.root, mode: .start)
    }

    /// Whether the bytes fed so far form a whole value of the schema.
    public var isComplete: Bool { top.mode == .complete }

    /// Inside a string's text (not mid-escape, mid-character or in a declared key), where any
    /// printable ASCII other than `"` and `\` keeps the recognizer there.
    var isInFreeString: Bool { top.mode == .string }

    /// Feeds `bytes` in order; false (leaving the state unusable) at the first byte that no value of
    /// the schema can continue with.
    @inline(__always)
    public mutating func feed<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        for b in bytes where !feed(b) { return false }
        return true
    }

    public mutating func feed(_ b: UInt8) -> Bool {
        switch top.mode {
        case .string, .escape, .hex, .utf8: return stringByte(b)
        case .minus, .zero, .integer, .dot, .fraction, .exponentMark, .exponentSign, .exponent: return numberByte(b)
        case .literal: return literalByte(b)
        case .declaredKey: return declaredKeyByte(b)
        case .complete, .freeKey: return false
        case .start, .keyOrClose, .key, .colon, .propertyValue, .afterProperty, .itemOrClose, .item, .afterItem:
            return structural(b)
        }
    }

    // MARK: Between the grammar's tokens

    private mutating func structural(_ b: UInt8) -> Bool {
        if Self.isWhitespace(b) {
            guard whitespaceRun < Self.maxWhitespaceRun else { return false }
            whitespaceRun += 1
            return true
        }
        whitespaceRun = 0
        switch top.mode {
        case .start: return startValue(top.node, b, replacing: true)
        case .keyOrClose, .key:
            guard case .object(let o) = node(top) else { return false }
            if b == UInt8(ascii: "}") { return top.mode == .keyOrClose && closeObject(o) }
            guard b == UInt8(ascii: "\"") else { return false }
            if o.keys.isEmpty {
                guard o.additional != nil else { return false }
                top.mode = .freeKey
                return push(Frame(node: JSONSchema.string, mode: .string))
            }
            top.candidates = Self.mask(o.keys.count) & ~top.seen
            guard top.candidates != 0 else { return false }
            top.mode = .declaredKey
            top.index = 0
            return true
        case .colon:
            guard b == UInt8(ascii: ":") else { return false }
            top.mode = .propertyValue
            return true
        case .propertyValue:
            guard case .object(let o) = node(top) else { return false }
            let valueNode = top.property >= 0 ? o.values[Int(top.property)] : o.additional!
            return startValue(valueNode, b, replacing: false)
        case .afterProperty:
            guard case .object(let o) = node(top) else { return false }
            if b == UInt8(ascii: "}") { return closeObject(o) }
            guard b == UInt8(ascii: ","), o.keys.isEmpty ? o.additional != nil : top.seen != Self.mask(o.keys.count) else { return false }
            top.mode = .key
            return true
        case .itemOrClose, .item:
            guard case .array(let items, let minItems, let maxItems) = node(top) else { return false }
            if b == UInt8(ascii: "]") { return top.mode == .itemOrClose && top.index >= minItems && close() }
            return top.index < maxItems && startValue(items, b, replacing: false)
        case .afterItem:
            guard case .array(_, let minItems, let maxItems) = node(top) else { return false }
            if b == UInt8(ascii: "]") { return top.index >= minItems && close() }
            guard b == UInt8(ascii: ","), top.index < maxItems else { return false }
            top.mode = .item
            return true
        default:
            return false
        }
    }

    private func node(_ f: Frame) -> JSONSchema.Node { schema.nodes[Int(f.node)] }

    /// The first byte of a value of `node`: opens its frame above the current one (or, for the
    /// root, in its place).
    private mutating func startValue(_ node: Int32, _ b: UInt8, replacing: Bool) -> Bool {
        var frame: Frame
        switch schema.nodes[Int(node)] {
        case .union(let branches):
            guard let branch = branches.first(where: { Self.canStart(schema.nodes[Int($0)], b) }) else { return false }
            return startValue(branch, b, replacing: replacing)
        case .object:
            guard b == UInt8(ascii: "{"), containers < Self.maxDepth else { return false }
            containers += 1
            frame = Frame(node: node, mode: .keyOrClose)
        case .array(_, _, _):
            guard b == UInt8(ascii: "["), containers < Self.maxDepth else { return false }
            containers += 1
            frame = Frame(node: node, mode: .itemOrClose)
        case .string:
            guard b == UInt8(ascii: "\"") else { return false }
            frame = Frame(node: node, mode: .string)
        case .number:
            switch b {
            case UInt8(ascii: "-"): frame = Frame(node: node, mode: .minus)
            case UInt8(ascii: "0"): frame = Frame(node: node, mode: .zero)
            case UInt8(ascii: "1")...UInt8(ascii: "9"): frame = Frame(node: node, mode: .integer)
            default: return false
            }
        case .literals(let texts):
            var c: UInt64 = 0
            for (i, t) in texts.enumerated() where t[0] == b { c |= 1 << UInt64(i) }
            guard c != 0 else { return false }
            frame = Frame(node: node, mode: .literal, index: 1, candidates: c)
            if !texts.indices.contains(where: { c >> UInt64($0) & 1 == 1 && texts[$0].count > 1 }) {
                // Every text that starts so is this one byte (a one-digit enum value): already whole.
                if replacing { top = frame } else { _ = push(frame) }
                valueDone()
                return true
            }
        }
        if replacing {
            top = frame
            return true
        }
        return push(frame)
    }

    private static func canStart(_ node: JSONSchema.Node, _ b: UInt8) -> Bool {
        switch node {
        case .object: return b == UInt8(ascii: "{")
        case .array: return b == UInt8(ascii: "[")
        case .string: return b == UInt8(ascii: "\"")
        case .number: return b == UInt8(ascii: "-") || isDigit(b)
        case .literals(let texts): return texts.contains { $0[0] == b }
        case .union: return true   // (flattened at compile time: not reached)
        }
    }

    private mutating func push(_ frame: Frame) -> Bool {
        below.append(top)
        top = frame
        return true
    }

    /// The top value is whole: it goes, and the frame below moves past it.
    private mutating func valueDone() {
        guard let parent = below.popLast() else {
            top.mode = .complete
            return
        }
        let finished = top
        top = parent
        switch top.mode {
        case .freeKey:
            top.mode = .colon
            top.property = -1
        case .propertyValue:
            if top.property >= 0 { top.seen |= 1 << UInt64(top.property) }
            top.mode = .afterProperty
        case .itemOrClose, .item:
            top.index += 1
            top.mode = .afterItem
        default:
            assertionFailure("a value closed under a frame in mode \(top.mode) (\(finished.mode))")
        }
    }

    private mutating func closeObject(_ o: JSONSchema.ObjectNode) -> Bool {
        guard top.seen & o.required == o.required else { return false }
        return close()
    }

    private mutating func close() -> Bool {
        containers -= 1
        valueDone()
        return true
    }

    // MARK: Keys and literals

    /// A byte of a declared key: it continues the keys that still match, or (a quote where none
    /// does) closes the one that is whole. (A key's own quote is escaped, `\"`: a whole key never
    /// ends where another continues with a quote.)
    private mutating func declaredKeyByte(_ b: UInt8) -> Bool {
        guard case .object(let o) = node(top) else { return false }
        let i = top.index
        var c: UInt64 = 0
        for k in o.keys.indices where top.candidates >> UInt64(k) & 1 == 1 && o.keys[k].count > i && o.keys[k][i] == b { c |= 1 << UInt64(k) }
        if c != 0 {
            top.candidates = c
            top.index = i + 1
            return true
        }
        guard b == UInt8(ascii: "\""),
              let p = o.keys.indices.first(where: { top.candidates >> UInt64($0) & 1 == 1 && o.keys[$0].count == i }) else { return false }
        top.property = Int8(p)
        top.mode = .colon
        return true
    }

    /// A byte of an enum value, `true`, `false` or `null`. A text that is whole while a longer one
    /// still matches (the numbers 1 and 12) ends at the first byte that continues none of them.
    private mutating func literalByte(_ b: UInt8) -> Bool {
        guard case .literals(let texts) = node(top) else { return false }
        let i = top.index
        var c: UInt64 = 0, whole = false, longer = false
        for k in texts.indices where top.candidates >> UInt64(k) & 1 == 1 {
            if texts[k].count == i { whole = true }
            if texts[k].count > i && texts[k][i] == b {
                c |= 1 << UInt64(k)
                if texts[k].count > i + 1 { longer = true }
            }
        }
        if c == 0 {
            guard whole else { return false }
            valueDone()
            return feed(b)
        }
        top.candidates = c
        top.index = i + 1
        if !longer { valueDone() }   // every remaining text ends here
        return true
    }

    // MARK: Strings and numbers

    private mutating func stringByte(_ b: UInt8) -> Bool {
        switch top.mode {
        case .escape:
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                top.mode = .string
            case UInt8(ascii: "u"):
                top.mode = .hex
                top.pending = 4
            default: return false
            }
            return true
        case .hex:
            guard Self.isHex(b) else { return false }
            top.pending -= 1
            if top.pending == 0 { top.mode = .string }
            return true
        case .utf8:
            guard b & 0xC0 == 0x80 else { return false }
            top.pending -= 1
            if top.pending == 0 { top.mode = .string }
            return true
        default:
            switch b {
            case UInt8(ascii: "\""): valueDone()
            case UInt8(ascii: "\\"): top.mode = .escape
            case 0..<0x20: return false
            case 0x20..<0x80: break
            case 0xC2...0xDF: top.mode = .utf8; top.pending = 1
            case 0xE0...0xEF: top.mode = .utf8; top.pending = 2
            case 0xF0...0xF4: top.mode = .utf8; top.pending = 3
            default: return false   // a continuation byte without a lead, or a byte UTF-8 never uses
            }
            return true
        }
    }

    private mutating func numberByte(_ b: UInt8) -> Bool {
        guard case .number(let integerOnly) = node(top) else { return false }
        switch top.mode {
        case .minus:
            guard Self.isDigit(b) else { return false }
            top.mode = b == UInt8(ascii: "0") ? .zero : .integer
            return true
        case .dot:
            guard Self.isDigit(b) else { return false }
            top.mode = .fraction
            return true
        case .exponentMark:
            if b == UInt8(ascii: "+") || b == UInt8(ascii: "-") { top.mode = .exponentSign; return true }
            guard Self.isDigit(b) else { return false }
            top.mode = .exponent
            return true
        case .exponentSign:
            guard Self.isDigit(b) else { return false }
            top.mode = .exponent
            return true
        default:   // zero, integer, fraction, exponent: the number may end here
            if Self.isDigit(b), top.mode != .zero { return true }
            if !integerOnly {
                if b == UInt8(ascii: "."), top.mode == .zero || top.mode == .integer { top.mode = .dot; return true }
                if b == UInt8(ascii: "e") || b == UInt8(ascii: "E"), top.mode != .exponent { top.mode = .exponentMark; return true }
            }
            // The number ended: the byte belongs to what follows it (a root never is a number).
            guard !below.isEmpty else { return false }
            valueDone()
            return feed(b)
        }
    }

    private static func mask(_ count: Int) -> UInt64 { count >= 64 ? ~0 : (1 << UInt64(count)) - 1 }
    @inline(__always) private static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }
    @inline(__always) private static func isHex(_ b: UInt8) -> Bool {
        isDigit(b) || (b | 0x20) &- UInt8(ascii: "a") < 6
    }
    @inline(__always) private static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
    }
}
