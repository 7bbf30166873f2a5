import Foundation
import JSONStrict

extension JSONValue {
    /// Parses a request body (`JSONParser`): malformed JSON is a 400 naming the problem and its line
    /// and column, a key given twice in one object a 400 naming the key.
    package static func parse(_ data: Data) throws(APIError) -> JSONValue {
        let bytes = [UInt8](data)
        do {
            return try JSONParser.parse(bytes)
        } catch {
            switch error {
            case .duplicateKey(let path):
                throw .invalid("The JSON body of your request gives '\(path)' twice; give each field once.", param: path,
                               code: "duplicate_key")
            case .syntax(let what, let offset):
                let (line, column) = JSONParser.lineAndColumn(of: offset, in: bytes)
                throw .invalid("We could not parse the JSON body of your request: \(what) (line \(line), column \(column)).",
                               code: "invalid_json")
            }
        }
    }
}

/// Typed access to a JSON object's fields: absent and `null` read as nil; any other type than the
/// one asked for is a 400 naming the field (`param` is the field's path).
package struct JSONFields {
    package let values: [String: JSONValue]
    /// The path of this object in the request (`""` at the top, `"kv_compression."` inside it).
    package let prefix: String

    package init(_ value: JSONValue, name: String, prefix: String = "") throws(APIError) {
        guard case .object(let values) = value else {
            let what = name.isEmpty ? "The request body" : name
            throw .invalid("\(what) must be a JSON object, got \(value.typeName)", param: name.isEmpty ? nil : name)
        }
        self.values = values
        self.prefix = prefix
    }

    package func path(_ key: String) -> String { prefix + key }

    package func value(_ key: String) -> JSONValue? {
        guard let v = values[key], v != .null else { return nil }
        return v
    }

    package func wrongType(_ key: String, expected: String, got: JSONValue) -> APIError {
        .invalid("'\(path(key))' must be \(expected), got \(got.typeName)", param: path(key), code: "invalid_type")
    }

    package func string(_ key: String) throws(APIError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw wrongType(key, expected: "a string", got: v) }
        return s
    }

    package func integer(_ key: String) throws(APIError) -> Int? {
        guard let v = value(key) else { return nil }
        switch v {
        case .integer(let i): return i
        case .number(let d) where d == d.rounded() && abs(d) < 1e15: return Int(d)
        default: throw wrongType(key, expected: "an integer", got: v)
        }
    }

    package func number(_ key: String) throws(APIError) -> Double? {
        guard let v = value(key) else { return nil }
        switch v {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: throw wrongType(key, expected: "a number", got: v)
        }
    }

    package func bool(_ key: String) throws(APIError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw wrongType(key, expected: "a boolean", got: v) }
        return b
    }
}
