/// The name of a registered prefill method (`MethodRegistry.prefill`).
public struct PrefillMethodKind: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    public let rawValue: String

    /// A registered name (exact, lower case).
    public init?(rawValue: String) {
        guard MethodRegistry.prefillType(named: rawValue) != nil else { return nil }
        self.rawValue = rawValue
    }

    /// Parses a CLI/vector name case-insensitively, aliases included (`allkv` is `fullkv`).
    public init?(name: String) {
        let lower = name.lowercased()
        guard let type = MethodRegistry.prefill.first(where: { $0.info.name == lower || $0.info.aliases.contains(lower) }) else { return nil }
        rawValue = type.info.name
    }

    private init(registered name: String) { rawValue = name }

    public static var allCases: [PrefillMethodKind] { MethodRegistry.prefill.map { PrefillMethodKind(registered: $0.info.name) } }
    public var description: String { rawValue }

    var method: any PrefillMethod.Type { MethodRegistry.prefillType(named: rawValue)! }
    /// The method's description (`scope methods`).
    public var info: MethodInfo { method.info }
    /// The reference's class name, or the method name for a method the reference does not have.
    public var referenceName: String { method.referenceClass?.name ?? rawValue }

    public static let fullKV = PrefillMethodKind(registered: "fullkv")
    public static let streamingLLM = PrefillMethodKind(registered: "streamingllm")
    public static let h2o = PrefillMethodKind(registered: "h2o")
    public static let snapKV = PrefillMethodKind(registered: "snapkv")
    public static let pyramidKV = PrefillMethodKind(registered: "pyramidkv")
    public static let pyramidInfer = PrefillMethodKind(registered: "pyramidinfer")
}

/// The name of a registered decoding method (`MethodRegistry.decoding`).
public struct DecodingMethodKind: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    public let rawValue: String

    public init?(rawValue: String) {
        guard MethodRegistry.decodingType(named: rawValue) != nil else { return nil }
        self.rawValue = rawValue
    }

    /// Parses a CLI/vector name case-insensitively (`None` in the vectors is `none`).
    public init?(name: String) {
        let lower = name.lowercased()
        guard let type = MethodRegistry.decoding.first(where: { $0.info.name == lower || $0.info.aliases.contains(lower) }) else { return nil }
        rawValue = type.info.name
    }

    private init(registered name: String) { rawValue = name }

    public static var allCases: [DecodingMethodKind] { MethodRegistry.decoding.map { DecodingMethodKind(registered: $0.info.name) } }
    public var description: String { rawValue }

    var method: any DecodingMethod.Type { MethodRegistry.decodingType(named: rawValue)! }
    /// The method's description (`scope methods`).
    public var info: MethodInfo { method.info }
    /// Whether the method keeps a step counter (`S`, and `J`/`Jl` for discontinuous).
    public var usesCounters: Bool { method.usesCounters }

    public static let none = DecodingMethodKind(registered: "none")
    public static let h2o = DecodingMethodKind(registered: "h2o")
    public static let slm = DecodingMethodKind(registered: "slm")
    public static let pyramidInfer = DecodingMethodKind(registered: "pyramidinfer")
    public static let slide = DecodingMethodKind(registered: "slide")
    public static let adaptive = DecodingMethodKind(registered: "adaptive")
    public static let discontinuous = DecodingMethodKind(registered: "discontinuous")
}
