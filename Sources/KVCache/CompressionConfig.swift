/// Which rules are applied: the published SCOPE code with its quirks, or the fixed behaviour.
public enum Semantics: String, Sendable, CaseIterable {
    /// Reproduces the reference code exactly (per-query-head cache, non-causal H2O/PyramidInfer
    /// scores, class-level counters, slot-range prefixes, ...). See docs/kv-semantics.md.
    case reference
    /// The default: causal scores, per-sequence counters, GQA-native cache, any combination.
    case corrected
}

/// SnapKV/PyramidKV pooling of the window scores along the key axis.
public enum Pooling: String, Sendable, CaseIterable {
    case max
    case avg

    /// Accepts `max`, `maxpool`, `avg`, `avgpool`.
    public init?(name: String) {
        switch name.lowercased() {
        case "max", "maxpool": self = .max
        case "avg", "avgpool", "mean": self = .avg
        default: return nil
        }
    }
}

/// How the R query heads of a GQA group are reduced to one score per KV head (corrected semantics).
public enum GroupReduce: String, Sendable, CaseIterable {
    case mean
    case max
}

/// A full KV-compression configuration: one prefill method and one decoding method plus their
/// parameters. Values left `nil` take the documented defaults when the cache resolves them.
public struct CompressionConfig: Sendable, Hashable {
    public var semantics: Semantics
    public var prefill: PrefillMethodKind
    public var decoding: DecodingMethodKind
    /// `P`: prefill budget in rows, window included (`max_capacity_prompt`). Also the decoding "prefix" size in reference semantics.
    public var prefillBudget: Int
    /// `w`: observation/recent window at prefill. `nil`: 8, or `P/2` for StreamingLLM (reference run script).
    public var window: Int?
    /// Pooling kernel size (odd).
    public var kernel: Int
    public var pooling: Pooling
    /// `β`: pyramid ratio of PyramidKV/PyramidInfer.
    public var beta: Int
    /// `dw`: decoding window (`decoding_window_size`).
    public var decodingWindow: Int
    /// `dr`: decoding recent size (`decoding_recent_size`).
    public var recent: Int
    /// `δ`. `nil`: `(T − dr) / (dw − dr)` from max new tokens (at least 1); in reference semantics
    /// SnapKV/PyramidKV use 15 (their constructor default, §3.4).
    public var delta: Int?
    /// Group reduction for the GQA-native cache (corrected semantics only).
    public var groupReduce: GroupReduce
    /// Values of method parameters that have no field above (`--param NAME=VALUE`, `--interval`),
    /// by parameter name; a method reads them with `intParameter`/`doubleParameter`.
    public var parameters: [String: String]

    public init(semantics: Semantics = .corrected, prefill: PrefillMethodKind = .fullKV, decoding: DecodingMethodKind = .none,
                prefillBudget: Int = 2048, window: Int? = nil, kernel: Int = 7, pooling: Pooling = .max, beta: Int = 20,
                decodingWindow: Int = 512, recent: Int = 256, delta: Int? = nil, groupReduce: GroupReduce = .mean,
                parameters: [String: String] = [:]) {
        self.semantics = semantics
        self.prefill = prefill
        self.decoding = decoding
        self.prefillBudget = prefillBudget
        self.window = window
        self.kernel = kernel
        self.pooling = pooling
        self.beta = beta
        self.decodingWindow = decodingWindow
        self.recent = recent
        self.delta = delta
        self.groupReduce = groupReduce
        self.parameters = parameters
    }

    /// The largest magnitude an integer field or a numeric method parameter takes: far above any
    /// context length, and small enough that sums like `P + dw` and the worst-case KV bytes (rows ×
    /// layers × heads × row bytes) cannot overflow.
    public static let maxInteger = 1 << 24

    /// Parameters every method reads from the fields above (not from `parameters`).
    public static let fieldParameters: Set<String> = ["prefill-budget", "window", "kernel", "pooling", "beta", "decoding-window",
                                               "recent", "delta", "group-reduce"]

    /// Names of the parameters the prefill and decoding methods take (`fieldParameters` included).
    public var declaredParameters: Set<String> {
        Set((prefill.method.info.parameters + decoding.method.info.parameters).map(\.name))
    }

    /// The integer value of a method parameter (`parameters`, else its default).
    public func intParameter(_ p: MethodParameter) throws -> Int {
        let text = parameters[p.name] ?? p.defaultValue
        guard let v = Int(text) else { throw KVCacheError.invalidConfig("--param \(p.name)=\(text): not an integer") }
        return v
    }

    /// The numeric value of a method parameter (`parameters`, else its default).
    public func doubleParameter(_ p: MethodParameter) throws -> Double {
        let text = parameters[p.name] ?? p.defaultValue
        guard let v = Double(text), v.isFinite else { throw KVCacheError.invalidConfig("--param \(p.name)=\(text): not a finite number") }
        return v
    }

    /// No compression at all (FullKV prefill, no decoding method).
    public static let fullKV = CompressionConfig()

    /// The effective prefill window `w`.
    public var effectiveWindow: Int {
        if let window { return window }
        return prefill.method.defaultWindow(budget: prefillBudget)
    }

    /// The decoding metrics the reference class of each prefill method accepts (methods.md §3.3).
    /// Empty for a method the reference does not have.
    public static func referenceAccepts(_ prefill: PrefillMethodKind) -> [DecodingMethodKind] {
        prefill.method.referenceClass?.accepts ?? []
    }

    /// The `δ` in effect for a run generating at most `maxNewTokens` tokens.
    public func resolvedDelta(maxNewTokens: Int) -> Int {
        if let delta { return delta }
        if semantics == .reference, let d = prefill.method.referenceClass?.defaultDelta { return d }
        let span = decodingWindow - recent
        guard span > 0 else { return 1 }
        return Swift.max(1, (maxNewTokens - recent) / span)
    }

    /// Throws `KVCacheError.invalidConfig` naming the first bad value or combination.
    public func validate() throws {
        func bad(_ message: String) -> KVCacheError { .invalidConfig(message) }
        let limit = Self.maxInteger
        let fields = [("--prefill-budget", prefillBudget), ("--window", window), ("--kernel", kernel), ("--beta", beta),
                      ("--decoding-window", decodingWindow), ("--recent", recent), ("--delta", delta)]
        for case let (flag, value?) in fields where value.magnitude > limit {
            throw bad("\(flag) must be at most \(limit), got \(value)")
        }
        for (name, text) in parameters.sorted(by: { $0.key < $1.key }) {
            if let v = Double(text), !(v.magnitude <= Double(limit)) {
                throw bad("--param \(name)=\(text): must be a finite number of magnitude at most \(limit)")
            }
        }
        let compressesPrompt = prefill != .fullKV
        let w = effectiveWindow
        if compressesPrompt {
            if prefillBudget < 1 { throw bad("--prefill-budget must be at least 1, got \(prefillBudget)") }
            if window == nil && (w < 1 || w >= prefillBudget) {
                // The window was not given: name the budget that made its default unusable.
                let rule = prefill == .streamingLLM ? "P/2 = \(w)" : "\(w)"
                throw bad("--prefill-budget \(prefillBudget) is too small for \(prefill.rawValue): its default window (\(rule)) must be at least 1 and smaller than the budget; give a larger --prefill-budget or an explicit --window")
            }
            if w < 1 { throw bad("--window must be at least 1, got \(w)") }
            if w >= prefillBudget {
                throw bad("--window (\(w)) must be smaller than --prefill-budget (\(prefillBudget))")
            }
        }
        if compressesPrompt { try prefill.method.validate(self) }
        if decoding != .none {
            try decoding.method.validate(self)
            if let delta, delta < 1 { throw bad("--delta must be at least 1, got \(delta)") }
        }
        let declared = declaredParameters
        for name in parameters.keys.sorted() where !declared.contains(name) || CompressionConfig.fieldParameters.contains(name) {
            let accepted = declared.subtracting(CompressionConfig.fieldParameters).sorted()
            throw bad("--param \(name): not a parameter of prefill \(prefill.rawValue) or decoding \(decoding.rawValue)" +
                      (accepted.isEmpty ? " (they take none beyond the usual flags)" : " (accepted: \(accepted.joined(separator: ", ")))"))
        }
        if semantics == .reference && prefill.method.referenceClass == nil {
            throw bad("reference semantics: the SCOPE code has no prefill method \(prefill.rawValue); use --semantics corrected")
        }
        if semantics == .reference {
            let accepted = CompressionConfig.referenceAccepts(prefill)
            if !accepted.contains(decoding) {
                let names = accepted.map(\.rawValue).joined(separator: ", ")
                throw bad("reference semantics: prefill \(prefill.rawValue) accepts only decoding \(names), not \(decoding.rawValue) ('Decoding metric not supported'); use --semantics corrected for any combination")
            }
        }
    }
}
