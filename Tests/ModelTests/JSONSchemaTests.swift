import Generation
import JSONStrict
import SplitMix
import Testing

/// `JSONSchema` and the schema-following `JSONPrefix` against an independent validator written
/// here from the JSON Schema rules (over `JSONStrict`'s parsed values and the schema's own JSON, not
/// the compiled nodes): on random schemas, random instances of them (every prefix accepted, the
/// whole text complete), random corruptions (whatever the recognizer calls complete parses and
/// validates), and random walks (no state it accepts is a dead end).
struct JSONSchemaTests {
    // MARK: Random schemas and their instances

    static func schema(_ rng: inout SplitMix64, depth: Int) -> JSONValue {
        let pick = depth >= 3 ? Int.random(in: 0..<6, using: &rng) : Int.random(in: 0..<10, using: &rng)
        switch pick {
        case 0: return .object(["type": .string("string")])
        case 1: return .object(["type": .string("integer"), "description": .string("a count")])
        case 2: return .object(["type": .string("number")])
        case 3: return .object(["type": .string("boolean")])
        case 4: return .object(["enum": .array([.string("red"), .string("green \"g\""), .integer(12), .integer(1), .number(-0.5), .null])])
        case 5: return .object(["type": .array([.string("string"), .string("null")])])
        case 6:
            var o: [String: JSONValue] = ["type": .string("array"), "items": schema(&rng, depth: depth + 1)]
            let lo = Int.random(in: 0...2, using: &rng)
            if Bool.random(using: &rng) { o["minItems"] = .integer(lo) }
            if Bool.random(using: &rng) { o["maxItems"] = .integer(lo + Int.random(in: 0...2, using: &rng)) }
            return .object(o)
        case 7: return .object(["anyOf": .array([.object(["type": .string("integer")]), object(&rng, depth: depth + 1)])])
        case 8: return .object(["type": .string("object")])   // any keys, any values
        default: return object(&rng, depth: depth + 1)
        }
    }

    static func object(_ rng: inout SplitMix64, depth: Int) -> JSONValue {
        let names = ["name", "age", "tags", "a\"b", "é", "nested", "n", "na"].shuffled(using: &rng)
        var props: [String: JSONValue] = [:]
        for name in names.prefix(Int.random(in: 1...4, using: &rng)) { props[name] = schema(&rng, depth: depth) }
        let required = props.keys.sorted().filter { _ in Bool.random(using: &rng) }.map { JSONValue.string($0) }
        return .object(["type": .string("object"), "properties": .object(props), "required": .array(required),
                        "additionalProperties": .bool(false)])
    }

    /// A random instance of `schema`'s generation language as text (declared keys in any order,
    /// enum values as JSON writes them, some whitespace), or nil where the schema has no instance
    /// this generator writes.
    static func instance(_ s: JSONValue, _ rng: inout SplitMix64, depth: Int = 0) -> String {
        var o: [String: JSONValue] = [:]   // the schema `true` (no keyword): any value
        if case .object(let fields) = s { o = fields }
        if case .array(let values)? = o["enum"] { return text(values.randomElement(using: &rng)!) }
        if case .array(let branches)? = o["anyOf"] { return instance(branches.randomElement(using: &rng)!, &rng, depth: depth) }
        var type = "any"
        if case .string(let t)? = o["type"] { type = t }
        if case .array(let ts)? = o["type"], case .string(let t) = ts.randomElement(using: &rng)! { type = t }
        switch type {
        case "string": return text(.string(["", "hi", "a b", "日本", "q\"\\"].randomElement(using: &rng)!))
        case "integer": return ["0", "-3", "42", "1000"].randomElement(using: &rng)!
        case "number": return ["0", "-3.5", "2e3", "1.25E-2", "7"].randomElement(using: &rng)!
        case "boolean": return Bool.random(using: &rng) ? "true" : "false"
        case "null": return "null"
        case "array":
            var lo = 0, hi = 3
            if case .integer(let n)? = o["minItems"] { lo = n }
            if case .integer(let n)? = o["maxItems"] { hi = n }
            let count = Int.random(in: lo...max(lo, min(hi, lo + 3)), using: &rng)
            let items = (0..<count).map { _ in instance(o["items"] ?? .bool(true), &rng, depth: depth + 1) }
            return "[" + items.joined(separator: space(&rng) + ",") + "]"
        default:
            guard case .object(let props)? = o["properties"] else {
                // any keys, any values
                let members = (0..<Int.random(in: 0...2, using: &rng)).map { "\"k\($0)\":" + JSONPrefixTests.value(&rng, depth: depth + 2) }
                return "{" + members.joined(separator: ",") + "}"
            }
            var required: Set<String> = []
            if case .array(let r)? = o["required"] { for case .string(let n) in r { required.insert(n) } }
            let chosen = props.keys.filter { required.contains($0) || Bool.random(using: &rng) }.shuffled(using: &rng)
            let members = chosen.map { space(&rng) + text(.string($0)) + space(&rng) + ":" + space(&rng) + instance(props[$0]!, &rng, depth: depth + 1) }
            return "{" + members.joined(separator: ",") + space(&rng) + "}"
        }
    }

    static func space(_ rng: inout SplitMix64) -> String { ["", "", " ", "\n  "].randomElement(using: &rng)! }

    /// Compact JSON text of a scalar (strings with only the required escapes).
    static func text(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let n): return String(n)
        case .number(let x): return "\(x)"
        case .string(let s):
            return "\"" + s.unicodeScalars.map { u -> String in
                u == "\"" ? "\\\"" : u == "\\" ? "\\\\" : u.value < 0x20 ? String(format: "\\u%04x", u.value) : String(u)
            }.joined() + "\""
        default: return "?"
        }
    }

    // MARK: The independent validator

    /// Whether `v` is valid under `s` (the keywords the random schemas use).
    static func valid(_ v: JSONValue, _ s: JSONValue) -> Bool {
        switch s {
        case .object(let o): return valid(v, keywords: o)
        default: return s == .bool(true)   // the boolean schemas
        }
    }

    static func valid(_ v: JSONValue, keywords o: [String: JSONValue]) -> Bool {
        if case .array(let values)? = o["enum"] { return values.contains { same($0, v) } }
        if case .array(let branches)? = o["anyOf"] { return branches.contains { valid(v, $0) } }
        var types: [String] = []
        if case .string(let t)? = o["type"] { types = [t] }
        if case .array(let ts)? = o["type"] { types = ts.compactMap { if case .string(let t) = $0 { return t } else { return nil } } }
        if !types.isEmpty && !types.contains(where: { hasType(v, $0) }) { return false }
        switch v {
        case .array(let items):
            if case .integer(let n)? = o["minItems"], items.count < n { return false }
            if case .integer(let n)? = o["maxItems"], items.count > n { return false }
            return items.allSatisfy { valid($0, o["items"] ?? .bool(true)) }
        case .object(let members):
            let props: [String: JSONValue]
            if case .object(let p)? = o["properties"] { props = p } else { props = [:] }
            if case .array(let r)? = o["required"] {
                for case .string(let n) in r where members[n] == nil { return false }
            }
            for (k, value) in members {
                if let p = props[k] {
                    if !valid(value, p) { return false }
                } else if o["additionalProperties"] == .bool(false) {
                    return false
                }
            }
            return true
        default:
            return true
        }
    }

    static func hasType(_ v: JSONValue, _ t: String) -> Bool {
        switch (v, t) {
        case (.null, "null"), (.bool, "boolean"), (.string, "string"), (.integer, "integer"), (.integer, "number"),
             (.number, "number"), (.array, "array"), (.object, "object"): return true
        case (.number(let x), "integer"): return x == x.rounded()
        default: return false
        }
    }

    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.integer(let x), .number(let y)), (.number(let y), .integer(let x)): return Double(x) == y
        default: return a == b
        }
    }

    static func compile(_ s: JSONValue) -> JSONSchema {
        do { return try JSONSchema(s) } catch { fatalError("random schema refused: \(error)") }
    }

    /// The recognizer's verdict on a whole text: nil when a byte is refused, else whether it is complete.
    static func verdict(_ bytes: [UInt8], _ schema: JSONSchema) -> Bool? {
        var p = JSONPrefix(schema: schema)
        return p.feed(bytes) ? p.isComplete : nil
    }

    // MARK: Properties

    @Test("every prefix of a random instance is accepted, and only the whole text is complete")
    func instancesAreAccepted() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<300 {
            let s = Self.object(&rng, depth: 0), schema = Self.compile(s)
            let text = Array(Self.instance(s, &rng).utf8)
            guard let parsed = try? JSONParser.parse(text), Self.valid(parsed, s) else {
                Issue.record("generator: \(String(decoding: text, as: UTF8.self)) is not an instance of \(s)")
                continue
            }
            JSONPrefixTests.expectEveryPrefixTaken(text, by: JSONPrefix(schema: schema), "under \(s)")
        }
    }

    @Test("on random corruptions, whatever the recognizer calls complete parses and is valid")
    func completeMeansValid() {
        var rng = SplitMix64(seed: 12)
        let alphabet = Array("{}[]\",:0123456789.eE+-tfnrul \\ax\"namegtrd".utf8)
        var complete = 0, refused = 0
        for _ in 0..<3000 {
            let s = Self.object(&rng, depth: 0), schema = Self.compile(s)
            var text = Array(Self.instance(s, &rng).utf8)
            JSONPrefixTests.corrupt(&text, alphabet, &rng)
            switch Self.verdict(text, schema) {
            case true?:
                complete += 1
                let parsed: JSONValue
                do {
                    parsed = try JSONParser.parse(text)
                } catch .syntax(let message, _) where message.hasSuffix("is out of range") {
                    continue   // JSON's grammar has no range; the reference parser refuses numbers beyond Double's
                } catch .duplicateKey {
                    continue   // a free key written twice (JSON allows it; the reference parser refuses it; declared keys come once)
                } catch {
                    Issue.record("complete but not JSON (\(error)): \(String(decoding: text, as: UTF8.self))")
                    continue
                }
                #expect(Self.valid(parsed, s), "complete but invalid under \(s): \(String(decoding: text, as: UTF8.self))")
            case nil: refused += 1
            case false?: break
            }
        }
        #expect(complete > 100 && refused > 300, "complete \(complete), refused \(refused)")
    }

    @Test("random walks over the accepted bytes never reach a state with no next byte before the value is complete")
    func noDeadEnds() {
        var rng = SplitMix64(seed: 13)
        let alphabet = Array("{}[]\",:0123456789.-tfnrulaesx \\/".utf8)
        var completed = 0
        for _ in 0..<400 {
            let s = Self.object(&rng, depth: 0), schema = Self.compile(s)
            var p = JSONPrefix(schema: schema)
            for _ in 0..<200 {
                var next: [JSONPrefix] = []
                for b in 0...255 {
                    var q = p
                    if q.feed(UInt8(b)) { next.append(q) }
                }
                if p.isComplete {
                    #expect(next.isEmpty, "nothing follows a complete value")
                    completed += 1
                    break
                }
                guard !next.isEmpty else {
                    Issue.record("dead end under \(s)")
                    break
                }
                // Walk on a byte of the alphabet when one is accepted (closing bytes weighted up).
                let choices = alphabet.compactMap { b -> JSONPrefix? in
                    var q = p
                    return q.feed(b) ? q : nil
                }
                let closing = [UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: "\"")].compactMap { c -> JSONPrefix? in
                    var q = p
                    return q.feed(c) ? q : nil
                }
                if !closing.isEmpty && Int.random(in: 0..<3, using: &rng) == 0 { p = closing.randomElement(using: &rng)! }
                else { p = (choices.isEmpty ? next : choices).randomElement(using: &rng)! }
            }
        }
        #expect(completed > 100, "walks that completed: \(completed)")
    }

    @Test("the recognizer follows each keyword: required, enum spellings, integer, minItems/maxItems, declared keys once, anyOf by type")
    func keywords() throws {
        let schema = try JSONSchema(text: Array(#"""
            {"type": "object", "properties": {
               "n": {"type": "integer"}, "c": {"enum": ["red", 1, 12]},
               "xs": {"type": "array", "items": {"type": "boolean"}, "minItems": 1, "maxItems": 2},
               "o": {"anyOf": [{"type": "string"}, {"type": "null"}, {"$ref": "#/$defs/pt"}]}},
             "required": ["n"], "additionalProperties": false,
             "$defs": {"pt": {"type": "object", "properties": {"x": {"type": "number"}, "next": {"$ref": "#/$defs/pt"}}, "required": ["x"]}}}
            """#.utf8))
        func v(_ t: String) -> Bool? { Self.verdict(Array(t.utf8), schema) }
        #expect(v(#"{"n":1}"#) == true)
        #expect(v(#"{}"#) == nil)                          // n is required
        #expect(v(#"{"n":1.5}"#) == nil)                   // an integer
        #expect(v(#"{"n":1,"n":2}"#) == nil)               // a key once
        #expect(v(#"{"n":1,"z":2}"#) == nil)               // no other key
        #expect(v(#"{"n":1,"c":12}"#) == true)
        #expect(v(#"{"n":1,"c":1}"#) == true)
        #expect(v(#"{"n":1,"c":13}"#) == nil)
        #expect(v(#"{"n":1,"c":"red"}"#) == true)
        #expect(v(#"{"n":1,"c":"blue"}"#) == nil)
        #expect(v(#"{"n":1,"xs":[]}"#) == nil)             // minItems 1
        #expect(v(#"{"n":1,"xs":[true,false]}"#) == true)
        #expect(v(#"{"n":1,"xs":[true,false,true]}"#) == nil)   // maxItems 2
        #expect(v(#"{"n":1,"o":null}"#) == true)
        #expect(v(#"{"n":1,"o":"s"}"#) == true)
        #expect(v(#"{"n":1,"o":{"x":1,"next":{"x":2e1}}}"#) == true)   // recursion through $ref
        #expect(v(#"{"n":1,"o":{"next":{"x":2}}}"#) == nil)           // x is required
        #expect(v(#"{"n":1,"c":"red","xs":[true],"o":null,"#) == nil)  // no property is left for a comma
        #expect(v(#"{"n": 1 , "c" : 12 }"#) == true)
    }

    @Test("schemas it cannot follow are refused with the keyword's path")
    func refusals() {
        func error(_ t: String) -> String {
            do {
                _ = try JSONSchema(text: Array(t.utf8))
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(error(#"{"type":"object","properties":{"age":{"type":"integer","minimum":0}}}"#)
                == "properties.age.minimum: the keyword 'minimum' is not supported")
        #expect(error(#"{"type":"array","items":{"type":"string"}}"#) == #"the root schema must be an object ("type": "object")"#)
        #expect(error(##"{"type":"object","properties":{"a":{"$ref":"#/$defs/missing"}}}"##).hasPrefix("properties.a.$ref: '#/$defs/missing' does not name"))
        #expect(error(#"{"type":"object","properties":{"a":{"anyOf":[{"type":"object"},{"type":"object","properties":{"b":true}}]}}}"#)
                    .hasPrefix("properties.a.anyOf: branches 0 and 1 can both start with '{'"))
        #expect(error(#"{"type":"object","properties":{"a":{"enum":[[1]]}}}"#) == "properties.a.enum[0]: only strings, numbers, booleans and null are supported, got array")
        #expect(error(#"{"type":"object","required":["a"],"additionalProperties":false}"#)
                == "required: 'a' is required but not in properties, and additionalProperties is false")
        #expect(error(#"{"type":"object","properties":{"a":{"type":"array","minItems":3,"maxItems":2}}}"#)
                == "properties.a.maxItems: 2 is below minItems 3")
        #expect(error(#"{"type":"object","properties":{"a":false}}"#) == "properties.a: the schema false allows no value")
        #expect(error(#"{"type":"object","properties":{"a":{"type":"text"}}}"#).hasPrefix("properties.a.type: '"))
        #expect(error(#"{"type":"object""#).hasPrefix("not JSON: "))
        #expect(error(##"{"$ref":"#","type":"object"}"##) == "$ref beside type is not supported")
    }

    @Test("json_object is the schema of any object: the random objects JSONPrefixTests writes are accepted")
    func anyObject() {
        var rng = SplitMix64(seed: 14)
        for _ in 0..<200 {
            let text = Array(JSONPrefixTests.object(&rng, depth: 0).utf8)
            #expect(Self.verdict(text, .anyObject) == true, "\(String(decoding: text, as: UTF8.self))")
        }
    }
}
