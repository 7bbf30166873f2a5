import Foundation

/// The settings that decide a run's outputs (model, compression, template, max new tokens,
/// sampling, cache and activation precision, data file), recorded under `config` in every results
/// line so that results of different settings are never mixed in one file or one score.
public struct RunConfiguration: Sendable {
    /// Ordered fields, as written.
    public var fields: [(String, PythonJSON.Value)]

    public init(_ fields: [(String, PythonJSON.Value)]) { self.fields = fields }

    /// The `config` object of a results line.
    public var json: PythonJSON.Value { .object(fields) }

    /// Each key's value as canonical JSON text (sorted object keys), for comparing with a recorded `config`.
    public var canonical: [String: String] {
        let text = PythonJSON.encode(json)
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return Self.canonical(object)
    }

    /// Each key's value of a parsed `config` object as canonical JSON text.
    public static func canonical(_ object: [String: Any]) -> [String: String] {
        object.mapValues { value in
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
            return data.map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
        }
    }

    /// The keys whose values differ, as `key: A (first) vs B (second)`, sorted by key.
    public static func differences(_ a: [String: String], _ b: [String: String]) -> [String] {
        Set(a.keys).union(b.keys).sorted().compactMap { key in
            let x = a[key], y = b[key]
            return x == y ? nil : "\(key): \(x ?? "absent") vs \(y ?? "absent")"
        }
    }
}
