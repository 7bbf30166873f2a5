import Foundation
import JSONStrict

/// A JSON encoder producing exactly what Python's `json.dumps(obj, ensure_ascii=False)` produces
/// (`", "` and `": "` separators, keys in insertion order, only `"`, `\` and C0 controls escaped).
public enum PythonJSON {
    /// A JSON value with ordered object keys.
    public indirect enum Value: Sendable {
        case string(String)
        case int(Int)
        case double(Double)
        case bool(Bool)
        case null
        case array([Value])
        case object([(String, Value)])
    }

    public static func encode(_ value: Value) -> String {
        var out = ""
        append(value, to: &out)
        return out
    }

    static func append(_ value: Value, to out: inout String) {
        switch value {
        case .string(let s): appendString(s, to: &out)
        case .int(let i): out += String(i)
        case .double(let d): out += formatDouble(d)
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                append(item, to: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (i, (key, item)) in fields.enumerated() {
                if i > 0 { out += ", " }
                appendString(key, to: &out)
                out += ": "
                append(item, to: &out)
            }
            out += "}"
        }
    }

    /// Python's float repr: shortest round-tripping digits (`1.0`, `0.1`, `NaN` for nan).
    static func formatDouble(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        if d == d.rounded(), abs(d) < 1e16 { return String(format: "%.1f", d) }
        return "\(d)"
    }

    /// `s` as a JSON string literal, escaped as `json.dumps` escapes it.
    public static func string(_ s: String) -> String { JSONValue.stringText(s) }

    static func appendString(_ s: String, to out: inout String) {
        out += JSONValue.stringText(s)
    }
}

