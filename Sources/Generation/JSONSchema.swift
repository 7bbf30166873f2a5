import JSONStrict

/// A JSON Schema compiled into the nodes `JSONPrefix` follows while a model writes: what every value
/// may be, as a small graph (recursion through `$ref` is a cycle in it).
///
/// The subset (OpenAI's structured outputs use about the same; everything else that restricts values
/// is refused by name, so a schema is never silently weakened):
/// - `type`: one of object, array, string, number, integer, boolean, null, or a list of them;
///   without `type` the keywords present decide (`properties` → object, `items` → array, none → any value);
/// - objects: `properties`, `required`, `additionalProperties`. When properties are declared only
///   they are written (any order, each at most once, the required ones before the object closes);
///   without declared properties, any keys with values of `additionalProperties` (any value when
///   absent or `true`, none when `false`). A required name that is not declared is declared with the
///   `additionalProperties` schema;
/// - arrays: `items` (one schema), `minItems`, `maxItems`;
/// - `enum`, `const`: scalar values, written as compact JSON (strings with the fewest escapes);
/// - `anyOf`, `oneOf`: branches whose values start with different bytes (different JSON types);
/// - `$ref` to `#`, `#/$defs/NAME` or `#/definitions/NAME`, recursion included;
/// - annotations are ignored: `title`, `description`, `default`, `examples`, `format`, `$schema`,
///   `$id`, `$comment`, and any keyword JSON Schema does not define.
///
/// The root must be an object. Node 0 is "any JSON value"; `anyObject` (OpenAI's `json_object`)
/// is an object with any keys and values.
public struct JSONSchema: Sendable, Equatable {
    enum Node: Sendable, Equatable {
        case object(ObjectNode)
        case array(items: Int32, minItems: Int, maxItems: Int)
        case string
        case number(integerOnly: Bool)
        /// `enum`, `const`, `boolean`, `null`: the values' JSON texts.
        case literals([[UInt8]])
        /// `anyOf`, `oneOf`, a list of types, any value: branches whose first bytes differ.
        case union([Int32])
    }

    struct ObjectNode: Sendable, Equatable {
        /// Declared properties, by name: the key as JSON writes it (escaped, without the quotes).
        var keys: [[UInt8]]
        var values: [Int32]
        /// Bit i: property i is required.
        var required: UInt64
        /// The value node of any key; nil: no key but the declared ones.
        var additional: Int32?
    }

    /// Declared properties per object at most (one bit each in the recognizer's state).
    public static let maxProperties = 64
    /// `enum` values at most.
    public static let maxEnumValues = 64

    let nodes: [Node]
    let root: Int32

    // The nodes every schema starts with.
    static let any: Int32 = 0, anyObjectNode: Int32 = 1, anyArray: Int32 = 2, string: Int32 = 3, number: Int32 = 4,
               integer: Int32 = 5, boolean: Int32 = 6, null: Int32 = 7
    static let builtins: [Node] = [
        .union([anyObjectNode, anyArray, string, number, boolean, null]),
        .object(ObjectNode(keys: [], values: [], required: 0, additional: any)),
        .array(items: any, minItems: 0, maxItems: .max),
        .string, .number(integerOnly: false), .number(integerOnly: true),
        .literals([Array("true".utf8), Array("false".utf8)]), .literals([Array("null".utf8)]),
    ]

    /// One JSON object with any keys and values (`response_format` `json_object`).
    public static let anyObject = JSONSchema(nodes: builtins, root: anyObjectNode)

    fileprivate init(nodes: [Node], root: Int32) {
        self.nodes = nodes
        self.root = root
    }

    /// Compiles `schema`; the error names the keyword's path from the schema's root (`properties.name.type`).
    package init(_ schema: JSONValue) throws(JSONSchemaError) {
        var compiler = Compiler(root: schema)
        let root = try compiler.compile(schema, path: "")
        guard case .object = compiler.nodes[Int(root)] else {
            throw JSONSchemaError(path: "", "the root schema must be an object (\"type\": \"object\")")
        }
        self.init(nodes: compiler.nodes, root: root)
    }

    /// Compiles a schema from its JSON text.
    public init(text: [UInt8]) throws(JSONSchemaError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            switch error {
            case .syntax(let message, let offset):
                let (line, column) = JSONParser.lineAndColumn(of: offset, in: text)
                throw JSONSchemaError(path: "", "not JSON: \(message) at line \(line), column \(column)")
            case .duplicateKey(let path):
                throw JSONSchemaError(path: path, "the key appears twice")
            }
        }
        try self.init(value)
    }

    /// The bytes a value of `node` can start with.
    func firstBytes(_ node: Int32) -> Set<UInt8> {
        var seen: Set<Int32> = []
        return firstBytes(node, seen: &seen)
    }

    private func firstBytes(_ node: Int32, seen: inout Set<Int32>) -> Set<UInt8> {
        guard seen.insert(node).inserted else { return [] }
        switch nodes[Int(node)] {
        case .object: return [UInt8(ascii: "{")]
        case .array: return [UInt8(ascii: "[")]
        case .string: return [UInt8(ascii: "\"")]
        case .number: return Set([UInt8(ascii: "-")] + (UInt8(ascii: "0")...UInt8(ascii: "9")))
        case .literals(let texts): return Set(texts.map { $0[0] })
        case .union(let branches):
            return branches.reduce(into: []) { $0.formUnion(firstBytes($1, seen: &seen)) }
        }
    }
}

/// A schema `JSONSchema` cannot follow: `path` is where, from the schema's root.
public struct JSONSchemaError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String

    init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Builds the nodes of one schema.
private struct Compiler {
    var nodes = JSONSchema.builtins
    let root: JSONValue
    /// The node of each `$ref` target compiled so far (a placeholder while its own nodes are built).
    var refs: [String: Int32] = [:]
    /// Placeholders not filled yet: a union branch that is one would make a value start with itself.
    var filling: Set<Int32> = []

    init(root: JSONValue) { self.root = root }

    /// Keywords that restrict values in ways the recognizer does not follow.
    static let unsupported: Set<String> = [
        "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "allOf", "not", "if", "then", "else", "patternProperties", "propertyNames", "minProperties", "maxProperties",
        "dependentRequired", "dependentSchemas", "dependencies", "unevaluatedProperties", "unevaluatedItems", "uniqueItems",
        "contains", "minContains", "maxContains", "prefixItems", "additionalItems",
    ]
    static let objectKeywords: Set<String> = ["properties", "required", "additionalProperties"]
    static let arrayKeywords: Set<String> = ["items", "minItems", "maxItems"]

    mutating func add(_ node: JSONSchema.Node) -> Int32 {
        nodes.append(node)
        return Int32(nodes.count - 1)
    }

    mutating func compile(_ schema: JSONValue, path: String) throws(JSONSchemaError) -> Int32 {
        switch schema {
        case .bool(true): return JSONSchema.any
        case .bool(false): throw JSONSchemaError(path: path, "the schema false allows no value")
        case .object(let o): return try compile(object: o, path: path)
        default: throw JSONSchemaError(path: path, "a schema must be an object or a boolean, got \(schema.typeName)")
        }
    }

    private mutating func compile(object o: [String: JSONValue], path: String) throws(JSONSchemaError) -> Int32 {
        for key in o.keys.sorted() where Self.unsupported.contains(key) {
            throw JSONSchemaError(path: join(path, key), "the keyword '\(key)' is not supported")
        }
        let restricting = Set(o.keys).intersection(["type", "enum", "const", "anyOf", "oneOf", "$ref"]
                                                   + Self.objectKeywords + Self.arrayKeywords)
        if let ref = o["$ref"] {
            guard restricting == ["$ref"] else {
                throw JSONSchemaError(path: path, "$ref beside \(restricting.subtracting(["$ref"]).sorted().joined(separator: ", ")) is not supported")
            }
            return try compile(ref: ref, path: join(path, "$ref"))
        }
        for key in ["anyOf", "oneOf"] {
            guard let branches = o[key] else { continue }
            guard restricting == [key] else {
                throw JSONSchemaError(path: path, "\(key) beside \(restricting.subtracting([key]).sorted().joined(separator: ", ")) is not supported")
            }
            guard case .array(let list) = branches, !list.isEmpty else {
                throw JSONSchemaError(path: join(path, key), "must be a non-empty array of schemas")
            }
            var compiled: [Int32] = []
            for (i, b) in list.enumerated() { compiled.append(try compile(b, path: "\(join(path, key))[\(i)]")) }
            return try union(compiled, path: join(path, key))
        }
        let types = try typeList(o["type"], path: join(path, "type"))
        if o["enum"] != nil || o["const"] != nil { return try literals(o, types: types, path: path) }
        let inferred = types ?? (!Set(o.keys).isDisjoint(with: Self.objectKeywords) ? ["object"]
                                 : !Set(o.keys).isDisjoint(with: Self.arrayKeywords) ? ["array"] : [])
        if inferred.isEmpty { return JSONSchema.any }
        var branches: [Int32] = []
        for type in inferred {
            switch type {
            case "object": branches.append(try objectNode(o, path: path))
            case "array": branches.append(try arrayNode(o, path: path))
            case "string": branches.append(JSONSchema.string)
            case "number": branches.append(JSONSchema.number)
            case "integer": if !inferred.contains("number") { branches.append(JSONSchema.integer) }
            case "boolean": branches.append(JSONSchema.boolean)
            default: branches.append(JSONSchema.null)
            }
        }
        return branches.count == 1 ? branches[0] : try union(branches, path: join(path, "type"))
    }

    /// `type`'s names (nil when absent), each checked.
    private func typeList(_ value: JSONValue?, path: String) throws(JSONSchemaError) -> [String]? {
        guard let value else { return nil }
        let names: [JSONValue]
        switch value {
        case .string: names = [value]
        case .array(let list) where !list.isEmpty: names = list
        default: throw JSONSchemaError(path: path, "must be a type name or a non-empty array of them, got \(value.typeName)")
        }
        var out: [String] = []
        for n in names {
            guard case .string(let s) = n,
                  ["object", "array", "string", "number", "integer", "boolean", "null"].contains(s) else {
                let shown = if case .string(let s) = n { "'\(s)'" } else { "a value of type \(n.typeName)" }
                throw JSONSchemaError(path: path, "\(shown) is not one of object, array, string, number, integer, boolean, null")
            }
            if !out.contains(s) { out.append(s) }
        }
        return out
    }

    private mutating func objectNode(_ o: [String: JSONValue], path: String) throws(JSONSchemaError) -> Int32 {
        var declared: [String: JSONValue] = [:]
        if let p = o["properties"] {
            guard case .object(let props) = p else {
                throw JSONSchemaError(path: join(path, "properties"), "must be an object, got \(p.typeName)")
            }
            declared = props
        }
        var additional: JSONValue = .bool(true)
        if let a = o["additionalProperties"] {
            switch a {
            case .bool, .object: additional = a
            default: throw JSONSchemaError(path: join(path, "additionalProperties"), "must be a boolean or a schema, got \(a.typeName)")
            }
        }
        var required: [String] = []
        if let r = o["required"] {
            guard case .array(let list) = r else { throw JSONSchemaError(path: join(path, "required"), "must be an array, got \(r.typeName)") }
            for (i, v) in list.enumerated() {
                guard case .string(let name) = v else {
                    throw JSONSchemaError(path: "\(join(path, "required"))[\(i)]", "must be a string, got \(v.typeName)")
                }
                if !required.contains(name) { required.append(name) }
            }
        }
        for name in required where declared[name] == nil {
            guard additional != .bool(false) else {
                throw JSONSchemaError(path: join(path, "required"),
                                      "'\(name)' is required but not in properties, and additionalProperties is false")
            }
            declared[name] = additional
        }
        guard declared.count <= JSONSchema.maxProperties else {
            throw JSONSchemaError(path: join(path, "properties"), "\(declared.count) properties; at most \(JSONSchema.maxProperties) are supported")
        }
        // The node goes in before its properties compile, so a property may refer back to it.
        let index = add(.object(JSONSchema.ObjectNode(keys: [], values: [], required: 0, additional: nil)))
        var node = JSONSchema.ObjectNode(keys: [], values: [], required: 0, additional: nil)
        for (i, name) in declared.keys.sorted().enumerated() {
            node.keys.append(Array(Self.jsonText(name).utf8.dropFirst().dropLast()))
            node.values.append(try compile(declared[name]!, path: join(join(path, "properties"), name)))
            if required.contains(name) { node.required |= 1 << UInt64(i) }
        }
        if declared.isEmpty && additional != .bool(false) {
            node.additional = try compile(additional, path: join(path, "additionalProperties"))
        }
        nodes[Int(index)] = .object(node)
        return index
    }

    private mutating func arrayNode(_ o: [String: JSONValue], path: String) throws(JSONSchemaError) -> Int32 {
        func count(_ key: String) throws(JSONSchemaError) -> Int? {
            guard let v = o[key] else { return nil }
            guard case .integer(let n) = v, n >= 0 else { throw JSONSchemaError(path: join(path, key), "must be an integer ≥ 0, got \(v)") }
            return n
        }
        let minItems = try count("minItems") ?? 0, maxItems = try count("maxItems") ?? .max
        guard minItems <= maxItems else { throw JSONSchemaError(path: join(path, "maxItems"), "\(maxItems) is below minItems \(minItems)") }
        let index = add(.array(items: JSONSchema.any, minItems: minItems, maxItems: maxItems))
        var items = JSONSchema.any
        if let i = o["items"] {
            if case .array = i { throw JSONSchemaError(path: join(path, "items"), "an array of schemas (tuple items) is not supported") }
            if i == .bool(false) {
                guard minItems == 0 else { throw JSONSchemaError(path: join(path, "items"), "false allows no item, but minItems is \(minItems)") }
                nodes[Int(index)] = .array(items: JSONSchema.any, minItems: 0, maxItems: 0)
                return index
            }
            items = try compile(i, path: join(path, "items"))
        }
        nodes[Int(index)] = .array(items: items, minItems: minItems, maxItems: maxItems)
        return index
    }

    private mutating func literals(_ o: [String: JSONValue], types: [String]?, path: String) throws(JSONSchemaError) -> Int32 {
        if o["enum"] != nil && o["const"] != nil { throw JSONSchemaError(path: path, "enum beside const is not supported") }
        var values: [JSONValue]
        var at = join(path, "const")
        if let e = o["enum"] {
            at = join(path, "enum")
            guard case .array(let list) = e, !list.isEmpty else { throw JSONSchemaError(path: at, "must be a non-empty array") }
            guard list.count <= JSONSchema.maxEnumValues else {
                throw JSONSchemaError(path: at, "\(list.count) values; at most \(JSONSchema.maxEnumValues) are supported")
            }
            values = list
        } else {
            values = [o["const"]!]
        }
        var texts: [[UInt8]] = []
        for (i, v) in values.enumerated() {
            let here = o["enum"] != nil ? "\(at)[\(i)]" : at
            let text: String
            switch v {
            case .null: text = "null"
            case .bool(let b): text = b ? "true" : "false"
            case .integer(let n): text = String(n)
            case .number(let x) where x.isFinite: text = x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
            case .string(let s): text = Self.jsonText(s)
            default: throw JSONSchemaError(path: here, "only strings, numbers, booleans and null are supported, got \(v.typeName)")
            }
            if let types, !types.contains(where: { Self.matches(v, type: $0) }) {
                throw JSONSchemaError(path: here, "\(text) is not of type \(types.joined(separator: " or "))")
            }
            let bytes = Array(text.utf8)
            if !texts.contains(bytes) { texts.append(bytes) }
        }
        return add(.literals(texts))
    }

    private static func matches(_ v: JSONValue, type: String) -> Bool {
        switch (v, type) {
        case (.null, "null"), (.bool, "boolean"), (.string, "string"), (.integer, "integer"), (.integer, "number"), (.number, "number"): return true
        case (.number(let x), "integer"): return x == x.rounded()
        default: return false
        }
    }

    private mutating func compile(ref: JSONValue, path: String) throws(JSONSchemaError) -> Int32 {
        guard case .string(let r) = ref else { throw JSONSchemaError(path: path, "must be a string, got \(ref.typeName)") }
        if let known = refs[r] { return known }
        let target: JSONValue
        if r == "#" {
            target = root
        } else if let name = ["#/$defs/", "#/definitions/"].lazy.compactMap({ r.hasPrefix($0) ? String(r.dropFirst($0.count)) : nil }).first,
                  case .object(let o) = root, case .object(let defs)? = o[r.hasPrefix("#/$defs/") ? "$defs" : "definitions"],
                  let def = defs[name] {
            target = def
        } else {
            throw JSONSchemaError(path: path, "'\(r)' does not name the root (#) or an entry of its $defs or definitions")
        }
        let index = add(.union([]))
        refs[r] = index
        filling.insert(index)
        let compiled = try compile(target, path: r == "#" ? "" : String(r.dropFirst(2)).replacingOccurrences(of: "/", with: "."))
        filling.remove(index)
        guard compiled != index else { throw JSONSchemaError(path: path, "'\(r)' refers only to itself") }
        nodes[Int(index)] = nodes[Int(compiled)]
        return index
    }

    /// A union of `branches` (nested unions flattened), whose values must start with different bytes.
    private mutating func union(_ branches: [Int32], path: String) throws(JSONSchemaError) -> Int32 {
        var flat: [Int32] = []
        for b in branches {
            guard !filling.contains(b) else { throw JSONSchemaError(path: path, "a branch refers back to this schema before any value starts") }
            if case .union(let inner) = nodes[Int(b)] { flat += inner } else if !flat.contains(b) { flat.append(b) }
        }
        let schema = JSONSchema(nodes: nodes, root: 0)
        var claimed: [UInt8: Int] = [:]
        for (i, b) in flat.enumerated() {
            for byte in schema.firstBytes(b).sorted() {
                if let other = claimed[byte] {
                    throw JSONSchemaError(path: path, "branches \(other) and \(i) can both start with '\(Character(Unicode.Scalar(byte)))'; "
                                          + "only branches of different JSON types (or enum values that start differently) are supported")
                }
                claimed[byte] = i
            }
        }
        return flat.count == 1 ? flat[0] : add(.union(flat))
    }

    private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// `s` as a JSON string, quotes included, with only the escapes JSON requires.
    static func jsonText(_ s: String) -> String { JSONValue.stringText(s) }
}
