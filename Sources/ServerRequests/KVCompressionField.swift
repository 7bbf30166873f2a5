import Foundation
import JSONStrict
import KVCache

/// The `kv_compression` extension object of a request: the CLI's compression options under their
/// snake_case names (`"prefill": "h2o", "prefill_budget": 512, "decoding": "slide", ...`). Fields
/// left out take the server's defaults (its command-line flags). Method names are parsed by the
/// KVCache name parsers the CLI uses and the result is checked by `CompressionConfig.validate()`,
/// so names, aliases and checks are the CLI's.
///
/// `params` holds the method parameters without a field of their own (the CLI's `--param NAME=VALUE`:
/// `{"params": {"interval": 64, "lambda": 0.2}}`, `_` or `-` in names). When a request names a prefill or
/// decoding method, the server's default parameters that its methods do not take are dropped (they
/// belong to the server's default methods); the request's own are checked like `--param`.
package struct KVCompressionField: Sendable, Equatable {
    package var names: [String: String] = [:]
    package var integers: [String: Int] = [:]
    /// `params`, by the CLI's parameter names (`query-window`), values as the CLI would read them.
    package var parameters: [String: String] = [:]

    /// Field names, the CLI flag each corresponds to, and whether the value is a name (else an integer).
    package static let fields: [(name: String, flag: String, isName: Bool)] = [
        ("prefill", "--prefill", true), ("prefill_budget", "--prefill-budget", false), ("window", "--window", false),
        ("kernel", "--kernel", false), ("pooling", "--pooling", true), ("beta", "--beta", false),
        ("decoding", "--decoding", true), ("decoding_window", "--decoding-window", false), ("recent", "--recent", false),
        ("delta", "--delta", false), ("semantics", "--semantics", true), ("group_reduce", "--group-reduce", true),
    ]

    /// The largest integer a field takes (`CompressionConfig.maxInteger`, which `validate()` checks too).
    package static let maxInteger = CompressionConfig.maxInteger

    package init() {}

    /// Reads the object, rejecting unknown fields and values of the wrong JSON type.
    package init(_ value: JSONValue) throws(APIError) {
        let object = try JSONFields(value, name: "kv_compression", prefix: "kv_compression.")
        let known = Self.fields.map(\.name) + ["params"]
        for key in object.values.keys.sorted() where !known.contains(key) {
            throw .invalid("kv_compression: unknown field '\(key)'; known fields: \(known.joined(separator: ", "))",
                           param: "kv_compression.\(key)", code: "invalid_kv_compression")
        }
        if let value = object.value("params") {
            let params = try JSONFields(value, name: "kv_compression.params", prefix: "kv_compression.params.")
            for key in params.values.keys.sorted() {
                guard let v = params.value(key) else { continue }
                let name = key.replacingOccurrences(of: "_", with: "-")
                guard parameters[name] == nil else {
                    throw .invalid("kv_compression.params: '\(key)' is given twice (as \(name) and with underscores)",
                                   param: "kv_compression.params.\(key)", code: "invalid_kv_compression")
                }
                switch v {
                case .integer(let i): parameters[name] = String(i)
                case .number(let d): parameters[name] = String(d)
                case .string(let text): parameters[name] = text
                default: throw params.wrongType(key, expected: "a number or a string", got: v)
                }
            }
        }
        for field in Self.fields {
            if field.isName {
                if let s = try object.string(field.name) { names[field.name] = s }
            } else if let i = try object.integer(field.name) {
                if i < 0 || (field.name == "prefill_budget" && i < 1) {
                    throw .invalid("kv_compression.\(field.name) must be \(i < 0 ? "≥ 0" : "≥ 1"), got \(i)",
                                   param: "kv_compression.\(field.name)", code: "invalid_kv_compression")
                }
                if i > Self.maxInteger {
                    throw .invalid("kv_compression.\(field.name) must be at most \(Self.maxInteger), got \(i)",
                                   param: "kv_compression.\(field.name)", code: "invalid_kv_compression")
                }
                integers[field.name] = i
            }
        }
    }

    /// The configuration: `defaults` with this object's fields applied, validated.
    package func resolve(over defaults: CompressionConfig) throws(APIError) -> CompressionConfig {
        var config = defaults
        func unknown(_ field: String, _ value: String, _ known: [String]) -> APIError {
            .invalid("kv_compression.\(field): unknown value '\(value)' (\(known.joined(separator: ", ")))",
                     param: "kv_compression.\(field)", code: "invalid_kv_compression")
        }
        if let s = names["prefill"] {
            guard let kind = PrefillMethodKind(name: s) else { throw unknown("prefill", s, PrefillMethodKind.allCases.map(\.rawValue)) }
            config.prefill = kind
        }
        if let s = names["decoding"] {
            guard let kind = DecodingMethodKind(name: s) else { throw unknown("decoding", s, DecodingMethodKind.allCases.map(\.rawValue)) }
            config.decoding = kind
        }
        if let s = names["pooling"] {
            guard let kind = Pooling(name: s) else { throw unknown("pooling", s, Pooling.allCases.map(\.rawValue)) }
            config.pooling = kind
        }
        if let s = names["semantics"] {
            guard let kind = Semantics(rawValue: s.lowercased()) else { throw unknown("semantics", s, Semantics.allCases.map(\.rawValue)) }
            config.semantics = kind
        }
        if let s = names["group_reduce"] {
            guard let kind = GroupReduce(rawValue: s.lowercased()) else { throw unknown("group_reduce", s, GroupReduce.allCases.map(\.rawValue)) }
            config.groupReduce = kind
        }
        if let v = integers["prefill_budget"] { config.prefillBudget = v }
        if let v = integers["window"] { config.window = v }
        if let v = integers["kernel"] { config.kernel = v }
        if let v = integers["beta"] { config.beta = v }
        if let v = integers["decoding_window"] { config.decodingWindow = v }
        if let v = integers["recent"] { config.recent = v }
        if let v = integers["delta"] { config.delta = v }
        if names["prefill"] != nil || names["decoding"] != nil {
            let declared = config.declaredParameters
            config.parameters = config.parameters.filter { declared.contains($0.key) }
        }
        config.parameters.merge(parameters) { _, request in request }
        do {
            try config.validate()
        } catch {
            throw .invalid(Self.renamingFlags(String(describing: error)), param: "kv_compression", code: "invalid_kv_compression")
        }
        return config
    }

    /// `CompressionConfig.validate()` names CLI flags; a request names fields (`--prefill-budget` → `kv_compression.prefill_budget`).
    package static func renamingFlags(_ message: String) -> String {
        var text = message
        // Longest flags first so `--decoding-window` is not taken for `--decoding`.
        for field in fields.sorted(by: { $0.flag.count > $1.flag.count }) {
            text = text.replacingOccurrences(of: field.flag, with: "kv_compression.\(field.name)")
        }
        return text.replacingOccurrences(of: "--param ", with: "kv_compression.params.")
            .replacingOccurrences(of: "--interval", with: "kv_compression.params.interval")
    }
}
