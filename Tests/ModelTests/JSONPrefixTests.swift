import Generation
import JSONStrict
import SplitMix
import Testing

/// `JSONPrefix` against `JSONStrict`'s parser (an independent implementation: a recursive-descent
/// parser of whole texts; Foundation's is too lenient to judge, it takes trailing commas and
/// unclosed objects) on random JSON objects and on random corruptions of them.
struct JSONPrefixTests {
    /// A random JSON value's text (pretty or compact, escapes and non-ASCII text included).
    static func value(_ rng: inout SplitMix64, depth: Int) -> String {
        let pick = depth >= 4 ? Int.random(in: 0..<5, using: &rng) : Int.random(in: 0..<7, using: &rng)
        switch pick {
        case 0: return ["true", "false", "null"].randomElement(using: &rng)!
        case 1: return ["0", "-0", "12", "-7.25", "3e5", "1.5E-3", "2e+2", "1000000"].randomElement(using: &rng)!
        case 2, 3: return string(&rng)
        case 4: return ["[]", "{}"].randomElement(using: &rng)!
        case 5:
            let items = (0..<Int.random(in: 1...4, using: &rng)).map { _ in value(&rng, depth: depth + 1) }
            return "[" + items.joined(separator: space(&rng) + "," + space(&rng)) + "]"
        default: return object(&rng, depth: depth + 1)
        }
    }

    /// An object with keys "k0", "k1", … (no key twice: the reference parser refuses that).
    static func object(_ rng: inout SplitMix64, depth: Int) -> String {
        let members = (0..<Int.random(in: 1...4, using: &rng)).map { k in
            space(&rng) + "\"k\(k)\"" + space(&rng) + ":" + space(&rng) + value(&rng, depth: depth) + space(&rng)
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    static func string(_ rng: inout SplitMix64) -> String {
        let parts = ["a", "Zz", " ", "\\n", "\\\"", "\\\\", "\\u00e9", "\\/", "é", "日本", "🙂", "x1", "\\t"]
        return "\"" + (0..<Int.random(in: 0...4, using: &rng)).map { _ in parts.randomElement(using: &rng)! }.joined() + "\""
    }

    static func space(_ rng: inout SplitMix64) -> String { ["", "", " ", "\n  ", "\t"].randomElement(using: &rng)! }

    /// The recognizer's verdict on a whole text: nil when a byte is refused, else whether it is complete.
    static func verdict(_ bytes: [UInt8]) -> Bool? {
        var p = JSONPrefix()
        return p.feed(bytes) ? p.isComplete : nil
    }

    /// The reference's verdict: true, the text is one JSON object; false, it is not JSON or not an
    /// object; nil, a key appears twice (the reference stops there, before any later syntax error).
    static func referenceAccepts(_ bytes: [UInt8]) -> Bool? {
        do {
            if case .object = try JSONParser.parse(bytes) { return true }
            return false
        } catch .duplicateKey {
            return nil
        } catch {
            return false
        }
    }

    @Test("every prefix of a random JSON object is accepted, and only the whole text is complete")
    func prefixesOfValidObjects() {
        var rng = SplitMix64(seed: 1)
        for _ in 0..<300 {
            let text = Array(Self.object(&rng, depth: 0).utf8)
            #expect(Self.referenceAccepts(text) == true, "generator: \(String(decoding: text, as: UTF8.self))")
            Self.expectEveryPrefixTaken(text, by: JSONPrefix())
        }
    }

    /// One to three random edits of `text`: a byte replaced, removed or inserted (from `alphabet`).
    static func corrupt(_ text: inout [UInt8], _ alphabet: [UInt8], _ rng: inout SplitMix64) {
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let i = Int.random(in: 0..<text.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: text[i] = alphabet.randomElement(using: &rng)!
            case 1: text.remove(at: i)
            default: text.insert(alphabet.randomElement(using: &rng)!, at: i)
            }
            if text.isEmpty { text = [UInt8(ascii: "{")] }
        }
    }

    /// Feeds `text` byte by byte: every byte is taken, and the value is complete exactly after the last.
    static func expectEveryPrefixTaken(_ text: [UInt8], by recognizer: JSONPrefix, _ context: String = "") {
        var p = recognizer
        for (i, b) in text.enumerated() {
            guard p.feed(b) else {
                Issue.record("byte \(i) of \(String(decoding: text, as: UTF8.self)) refused \(context)")
                return
            }
            #expect(p.isComplete == (i == text.count - 1), "\(context)")
        }
    }

    @Test("on random corruptions, a complete verdict is exactly the reference parser's acceptance")
    func corruptionsAgreeWithFoundation() {
        var rng = SplitMix64(seed: 2)
        let alphabet = Array("{}[]\",:0123456789.eE+-tfnrul \\ax\n".utf8)
        var complete = 0, refused = 0
        for _ in 0..<3000 {
            var text = Array(Self.object(&rng, depth: 1).utf8)
            Self.corrupt(&text, alphabet, &rng)
            // The recognizer refuses whitespace after the closing brace (nothing may follow); compare on the text without it.
            while let last = text.last, last == 0x20 || last == 0x0A { text.removeLast() }
            guard let reference = Self.referenceAccepts(text) else { continue }
            let ours = Self.verdict(text)
            if ours == true { complete += 1 }
            if ours == nil { refused += 1 }
            #expect((ours == true) == reference, "\(String(decoding: text, as: UTF8.self))")
        }
        // Both kinds of case occurred (the corruptions are not all fatal or all harmless).
        #expect(complete > 100 && refused > 100, "complete \(complete), refused \(refused)")
    }

    @Test("a refused byte has no continuation: appending any closing text never makes a refused prefix whole")
    func refusedPrefixesStayRefused() {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<500 {
            let text = Array(Self.object(&rng, depth: 1).utf8)
            let cut = Int.random(in: 1..<text.count, using: &rng)
            var bad = Array(text[..<cut])
            bad.append(Array(",:]}\"x".utf8).randomElement(using: &rng)!)
            guard Self.verdict(bad) == nil else { continue }
            for tail in ["}", "\"}", "]}", "0}", "\":1}", "\"]}"] {
                #expect(Self.referenceAccepts(bad + Array(tail.utf8)) != true, "\(String(decoding: bad, as: UTF8.self))\(tail)")
            }
        }
    }

    @Test("limits: the top-level value is an object, at most 64 levels, 32 whitespace bytes in a row, control bytes refused in strings")
    func limits() {
        #expect(Self.verdict(Array("[1]".utf8)) == nil)
        #expect(Self.verdict(Array("\"s\"".utf8)) == nil)
        #expect(Self.verdict(Array("{\"a\":1} ".utf8)) == nil)
        let deep = "{\"a\":" + String(repeating: "[", count: 63)
        #expect(Self.verdict(Array(deep.utf8)) == false)
        #expect(Self.verdict(Array((deep + "[").utf8)) == nil)
        #expect(Self.verdict(Array(("{" + String(repeating: " ", count: 32)).utf8)) == false)
        #expect(Self.verdict(Array(("{" + String(repeating: " ", count: 33)).utf8)) == nil)
        #expect(Self.verdict(Array("{\"a\u{01}".utf8)) == nil)
        #expect(Self.verdict([UInt8(ascii: "{"), UInt8(ascii: "\""), 0xC3]) == false)       // half of "é"
        #expect(Self.verdict([UInt8(ascii: "{"), UInt8(ascii: "\""), 0xC3, 0x41]) == nil)   // not a continuation byte
        #expect(Self.verdict([UInt8(ascii: "{"), UInt8(ascii: "\""), 0x80]) == nil)
    }
}
