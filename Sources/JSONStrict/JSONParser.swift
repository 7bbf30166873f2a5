/// A strict JSON parser (RFC 8259) for the server's request bodies and the JSON-lines files. It exists
/// for what Foundation's parsers do not say: a key given twice in one object (`{"max_tokens": 5,
/// "max_tokens": 5000}`) is refused, naming the key's path, where they keep one of the two silently; a
/// syntax error names its line and column; nesting deeper than `maxDepth` is refused instead of
/// recursing on.
///
/// A leading UTF-8 byte-order mark is skipped; trailing commas are refused (Foundation takes them).
/// Numbers written without a fraction or exponent that fit in `Int` are `.integer`, all others
/// `.number`; strings must be valid UTF-8 without raw control characters, and `\u` escapes must pair
/// their surrogates.
package struct JSONParser {
    /// Containers (objects and arrays) nested deeper than this are refused.
    package static let maxDepth = 512

    /// What went wrong, where: `offset` is the byte at which the problem was found.
    package enum Failure: Error, Equatable {
        case syntax(String, offset: Int)
        /// `path` is the key's path, `"kv_compression.window"`, `"messages[2].role"`.
        case duplicateKey(path: String)
    }

    private let bytes: [UInt8]
    private var i = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The one JSON value `bytes` holds, with nothing but whitespace around it.
    package static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        var p = JSONParser(bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { p.i = 3 }  // a UTF-8 byte-order mark (RFC 8259 §8.1)
        p.skipWhitespace()
        let value = try p.value(path: "", depth: 0)
        p.skipWhitespace()
        guard p.i == bytes.count else { throw p.failure("unexpected \(p.describeNext()) after the JSON value") }
        return value
    }

    /// 1-based line and column of byte `offset` of `bytes` (columns count bytes).
    package static func lineAndColumn(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1, lineStart = 0
        for k in 0..<min(offset, bytes.count) where bytes[k] == UInt8(ascii: "\n") {
            line += 1
            lineStart = k + 1
        }
        return (line, offset - lineStart + 1)
    }

    // MARK: Values

    private mutating func value(path: String, depth: Int) throws(Failure) -> JSONValue {
        guard i < bytes.count else { throw failure("the input ends where a value was expected") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(path: path, depth: depth + 1)
        case UInt8(ascii: "["): return try array(path: path, depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw failure("unexpected \(describeNext()) where a value was expected")
        }
    }

    private mutating func object(path: String, depth: Int) throws(Failure) -> JSONValue {
        guard depth <= Self.maxDepth else { throw failure("objects and arrays nested deeper than \(Self.maxDepth) levels") }
        i += 1  // "{"
        var fields: [String: JSONValue] = [:]
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return .object(fields) }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                throw failure("expected a key (a string) but found \(describeNext())")
            }
            let key = try string()
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            guard fields[key] == nil else { throw .duplicateKey(path: keyPath) }
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw failure("expected ':' after the key '\(key)' but found \(describeNext())") }
            skipWhitespace()
            fields[key] = try value(path: keyPath, depth: depth)
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "}")) { return .object(fields) }
            throw failure("expected ',' or '}' in an object but found \(describeNext())")
        }
    }

    private mutating func array(path: String, depth: Int) throws(Failure) -> JSONValue {
        guard depth <= Self.maxDepth else { throw failure("objects and arrays nested deeper than \(Self.maxDepth) levels") }
        i += 1  // "["
        var items: [JSONValue] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return .array(items) }
        while true {
            skipWhitespace()
            items.append(try value(path: "\(path)[\(items.count)]", depth: depth))
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "]")) { return .array(items) }
            throw failure("expected ',' or ']' in an array but found \(describeNext())")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let start = i
        for expected in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            guard i < bytes.count, bytes[i] == expected else {
                i = start
                throw failure("unexpected \(describeNext()) where a value was expected")
            }
            i += 1
        }
    }

    // MARK: Numbers

    private mutating func number() throws(Failure) -> JSONValue {
        let start = i
        var integral = true
        _ = consume(UInt8(ascii: "-"))
        // Integer part: "0" or a non-zero digit and more digits.
        if consume(UInt8(ascii: "0")) {
            if i < bytes.count, isDigit(bytes[i]) { throw failure("a number must not start with 0 and another digit") }
        } else {
            guard digits() > 0 else { throw failure("expected a digit after '-' but found \(describeNext())") }
        }
        if consume(UInt8(ascii: ".")) {
            integral = false
            guard digits() > 0 else { throw failure("expected a digit after the decimal point but found \(describeNext())") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            integral = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw failure("expected a digit in the exponent but found \(describeNext())") }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if integral, let n = Int(text) { return .integer(n) }
        guard let d = Double(text), d.isFinite else {
            i = start
            throw failure("the number \(text) is out of range")
        }
        return .number(d)
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// Skips a run of digits; returns how many.
    private mutating func digits() -> Int {
        let start = i
        while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        return i - start
    }

    // MARK: Strings

    private mutating func string() throws(Failure) -> String {
        let open = i
        i += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else {
                i = open
                throw failure("a string that is never closed")
            }
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""):
                i += 1
                guard let s = String(validating: out, as: UTF8.self) else {
                    i = open
                    throw failure("a string that is not valid UTF-8")
                }
                return s
            case UInt8(ascii: "\\"):
                i += 1
                try escape(into: &out)
            case 0..<0x20:
                throw failure("a raw control character (byte \(b)) inside a string; write it as an escape")
            default:
                out.append(b)
                i += 1
            }
        }
    }

    /// The escape after a backslash (`i` at the character after it), appended as UTF-8.
    private mutating func escape(into out: inout [UInt8]) throws(Failure) {
        guard i < bytes.count else { throw failure("a string that is never closed") }
        let c = bytes[i]
        i += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                    throw failure("a \\u escape of a high surrogate not followed by its low surrogate")
                }
                i += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw failure("a \\u escape of a high surrogate not followed by its low surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw failure("a \\u escape of a lone low surrogate")
            }
            out.append(contentsOf: Unicode.Scalar(scalar)!.utf8)  // a valid scalar: surrogates were paired above
        default:
            i -= 1
            throw failure("an unknown escape '\\\(describe(c))' in a string")
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard i < bytes.count, let h = hexValue(bytes[i]) else { throw failure("expected four hex digits after \\u") }
            v = v << 4 | h
            i += 1
        }
        return v
    }

    private func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    // MARK: Scanning

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    /// Consumes `b` when it is next.
    private mutating func consume(_ b: UInt8) -> Bool {
        guard i < bytes.count, bytes[i] == b else { return false }
        i += 1
        return true
    }

    private func describeNext() -> String {
        i < bytes.count ? "'\(describe(bytes[i]))'" : "the end of the input"
    }

    private func describe(_ b: UInt8) -> String {
        (0x21..<0x7F).contains(b) ? String(UnicodeScalar(b)) : "byte \(b)"
    }

    private func failure(_ what: String) -> Failure { .syntax(what, offset: i) }
}
