import Foundation
import JSONStrict
import ScopeTestSupport
import SplitMix
import Testing

/// The strict JSON parser of request bodies and data files: random documents against the trees they
/// were written from, the rejections Foundation's own parser agrees on, and what Foundation's decoder
/// did not do (duplicate keys, positions, nesting depth).
struct JSONParserTests {
    // MARK: Random documents

    /// Scalars strings are drawn from: ASCII, the characters JSON must escape, controls, two- three-
    /// and four-byte UTF-8.
    static let scalars: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}",
                                            "é", "中", "\u{FFFD}", "😀", "\u{10FFFF}"]

    static func randomString(_ rng: inout SeededRandom) -> String {
        var s = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...6, using: &rng) { s.append(scalars.randomElement(using: &rng)!) }
        return String(s)
    }

    static func randomValue(_ rng: inout SeededRandom, depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth < 4 ? 9 : 6), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .integer([0, -1, 7, Int.max, Int.min, Int.random(in: -100_000...100_000, using: &rng)].randomElement(using: &rng)!)
        case 3: return .number([0.5, -2.25, 1e-5, 6.02e23, 1e16, Double.random(in: -1e6...1e6, using: &rng)].randomElement(using: &rng)!)
        case 4, 5: return .string(randomString(&rng))
        case 6: return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var fields: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &rng) { fields[randomString(&rng)] = randomValue(&rng, depth: depth + 1) }
            return .object(fields)
        }
    }

    /// `value` as JSON text with random whitespace and randomly chosen escapes (short, `\u`, surrogate
    /// pairs) — written independently of the parser.
    static func write(_ value: JSONValue, _ rng: inout SeededRandom) -> String {
        func space() -> String { String((0..<Int.random(in: 0...2, using: &rng)).map { _ in [" ", "\n", "\t", "\r"].randomElement(using: &rng)! }) }
        func quoted(_ s: String) -> String {
            var out = "\""
            for u in s.unicodeScalars {
                let hex = { (v: UInt32) in "\\u" + String(format: "%04X", v) }
                let forced = u == "\"" || u == "\\" || u.value < 0x20
                if !forced && Bool.random(using: &rng) {
                    out.unicodeScalars.append(u)
                } else if u == "\"" || u == "\\" || u == "\n" || u == "\t" || u == "/", Bool.random(using: &rng) {
                    out += ["\"": "\\\"", "\\": "\\\\", "\n": "\\n", "\t": "\\t", "/": "\\/"][String(u)]!
                } else if u.value > 0xFFFF {
                    let v = u.value - 0x10000
                    out += hex(0xD800 + (v >> 10)) + hex(0xDC00 + (v & 0x3FF))
                } else {
                    out += hex(u.value)
                }
            }
            return out + "\""
        }
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .number(let d): return "\(d)"
        case .string(let s): return quoted(s)
        case .array(let items): return "[" + space() + items.map { write($0, &rng) + space() }.joined(separator: "," + space()) + "]"
        case .object(let fields):
            let parts = fields.map { space() + quoted($0.key) + space() + ":" + space() + write($0.value, &rng) + space() }
            return "{" + space() + parts.joined(separator: ",") + "}"
        }
    }

    @Test func randomDocumentsParseToTheTreesTheyWereWrittenFrom() throws {
        var rng = SeededRandom(seed: 12)
        for _ in 0..<600 {
            let value = Self.randomValue(&rng, depth: 0)
            let text = " " + Self.write(value, &rng) + "\n"
            #expect(try JSONParser.parse(Array(text.utf8)) == value, "\(text)")
            // Foundation's parser accepts what we accept.
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil, "\(text)")
        }
    }

    // MARK: Rejections

    /// Malformed documents: refused here, and by Foundation's parser too (an independent judge).
    static let malformed = [
        "", " ", "{", "}", "[", "[,1]", "{\"a\" 1}", "{a:1}", "{'a':1}", "[1 2]", "01", "-", "1.", ".5",
        "1e", "1e+", "+1", "tru", "nul", "True", "NaN", "Infinity", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"",
        "\"a\tb\"", "\"a\nb\"", "[1]]", "{} {}", "1 2", "{\"a\":}", "\u{FEFF}\u{FEFF}{}",
    ]

    @Test(arguments: malformed)
    func malformedDocumentsAreRefused(_ text: String) {
        var failure: JSONParser.Failure?
        do { _ = try JSONParser.parse(Array(text.utf8)) } catch { failure = error }
        guard case .syntax = failure else {
            Issue.record("accepted \(text.debugDescription)")
            return
        }
        #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) == nil,
                "Foundation accepts \(text.debugDescription)")
    }

    /// Trailing commas are not JSON (RFC 8259, and Python's parser behind OpenAI's API refuses them);
    /// Foundation's parser takes them, so these have no second judge. A leading byte-order mark is
    /// skipped, as the RFC allows.
    @Test func trailingCommasAreRefusedAndAByteOrderMarkIsSkipped() throws {
        for text in ["[1,]", "{\"a\":1,}", "[\"a\",]", "[[],]"] {
            #expect(throws: JSONParser.Failure.self, "\(text)") { try JSONParser.parse(Array(text.utf8)) }
        }
        #expect(try JSONParser.parse(Array("\u{FEFF}{\"a\": [1]}".utf8)) == .object(["a": .array([.integer(1)])]))
    }

    @Test func invalidUTF8AndLoneSurrogatesAreRefused() throws {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22]] {
            #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(bytes) }
        }
        for text in [#""\uD800""#, #""\uDC00""#, #""\uD800\u0041""#, #""\uD800x""#] {
            #expect(throws: JSONParser.Failure.self, "\(text)") { try JSONParser.parse(Array(text.utf8)) }
        }
        #expect(try JSONParser.parse(Array(#""\uD83D\uDE00""#.utf8)) == .string("😀"))
    }

    @Test func numbersKeepIntegersApart() throws {
        let cases: [(String, JSONValue)] = [
            ("5", .integer(5)), ("-0", .integer(0)), ("5.0", .number(5)), ("1e2", .number(100)), ("-2.5E-1", .number(-0.25)),
            ("9223372036854775807", .integer(.max)), ("9223372036854775808", .number(9223372036854775808)),
        ]
        for (text, value) in cases { #expect(try JSONParser.parse(Array(text.utf8)) == value, "\(text)") }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array("1e999".utf8)) }
    }

    // MARK: Keys and positions

    @Test func aKeyGivenTwiceIsRefusedWithItsPath() {
        for (text, path) in Self.duplicateKeys {
            #expect(throws: JSONParser.Failure.duplicateKey(path: path), "\(text)") { try JSONParser.parse(Array(text.utf8)) }
        }
        // The same key in different objects is fine.
        #expect(throws: Never.self) { try JSONParser.parse(Array(#"{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}"#.utf8)) }
    }

    /// Documents with a key given twice in one object, and the key's path.
    static let duplicateKeys: [(String, String)] = [
        (#"{"max_tokens": 5, "max_tokens": 5000}"#, "max_tokens"),
        (#"{"kv_compression": {"window": 8, "budget": 64, "window": 16}}"#, "kv_compression.window"),
        (#"{"messages": [{"role": "user"}, {"role": "user", "content": "x", "role": "system"}]}"#, "messages[1].role"),
        (#"{"a\u0062": 1, "ab": 2}"#, "ab"),
    ]

    @Test func syntaxErrorsCarryTheOffsetOfTheirLineAndColumn() {
        let text = "{\n  \"messages\": [1, 2,\n    ]\n}"
        let bytes = Array(text.utf8)
        do {
            _ = try JSONParser.parse(bytes)
            Issue.record("accepted")
        } catch .syntax(let what, let offset) {
            #expect(what.contains("']'"), "\(what)")
            let position = JSONParser.lineAndColumn(of: offset, in: bytes)
            #expect(position.line == 3 && position.column == 5, "\(position)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func nestingIsBoundedWithoutRecursingOn() throws {
        let depth = JSONParser.maxDepth
        let deepest = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(throws: Never.self) { try JSONParser.parse(Array(deepest.utf8)) }
        for text in ["[" + deepest + "]", String(repeating: "{\"a\":", count: depth + 1) + "1" + String(repeating: "}", count: depth + 1),
                     String(repeating: "[", count: 1_000_000)] {
            do {
                _ = try JSONParser.parse(Array(text.utf8))
                Issue.record("accepted \(text.count) bytes nested \(depth + 1) deep")
            } catch .syntax(let what, _) {
                #expect(what.contains("\(depth)"), "\(what)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}
