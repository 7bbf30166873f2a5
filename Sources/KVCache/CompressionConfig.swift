/// Which rules are applied: the published SCOPE code with its quirks, or the fixed behaviour.
public enum Semantics: String, Sendable, CaseIterable {
    /// Reproduces the reference code exactly (per-query-head cache, non-causal H2O/PyramidInfer
    /// scores, class-level counters, slot-range prefixes, ...). See docs/kv-semantics.md.
    case reference
    /// The default: causal scores, per-sequence counters, GQA-native cache, any combination.
    case corrected
}

/// The prefill (prompt) compression method.
public enum PrefillMethodKind: String, Sendable, CaseIterable {
    case fullKV = "fullkv"
    case streamingLLM = "streamingllm"
    case h2o
    case snapKV = "snapkv"
    case pyramidKV = "pyramidkv"
    case pyramidInfer = "pyramidinfer"

    /// Parses a CLI/vector name, case-insensitively; `allkv` is an alias of `fullkv`.
    public init?(name: String) {
        let lower = name.lowercased()
        if lower == "allkv" { self = .fullKV; return }
        guard let value = PrefillMethodKind(rawValue: lower) else { return nil }
        self = value
    }

    /// The reference's class name (ALLKV, StreamingLLM, H2O, SnapKV, PyramidKV, PyramidInfer).
    public var referenceName: String {
        switch self {
        case .fullKV: return "ALLKV"
        case .streamingLLM: return "StreamingLLM"
        case .h2o: return "H2O"
        case .snapKV: return "SnapKV"
        case .pyramidKV: return "PyramidKV"
        case .pyramidInfer: return "PyramidInfer"
        }
    }
}

/// The decoding-phase compression method (SCOPE's `decoding_metric`).
public enum DecodingMethodKind: String, Sendable, CaseIterable {
    case none
    case h2o
    case slm
    case pyramidInfer = "pyramidinfer"
    case slide
    case adaptive
    case discontinuous

    /// Parses a CLI/vector name case-insensitively (`None` in the vectors is `none`).
    public init?(name: String) {
        guard let value = DecodingMethodKind(rawValue: name.lowercased()) else { return nil }
        self = value
    }

    /// Whether the method keeps a step counter (`S`, and `J`/`Jl` for discontinuous).
    public var usesCounters: Bool { self == .adaptive || self == .discontinuous }
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
public struct CompressionConfig: Sendable, Equatable {
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

    public init(semantics: Semantics = .corrected, prefill: PrefillMethodKind = .fullKV, decoding: DecodingMethodKind = .none,
                prefillBudget: Int = 2048, window: Int? = nil, kernel: Int = 7, pooling: Pooling = .max, beta: Int = 20,
                decodingWindow: Int = 512, recent: Int = 256, delta: Int? = nil, groupReduce: GroupReduce = .mean) {
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
    }

    /// No compression at all (FullKV prefill, no decoding method).
    public static let fullKV = CompressionConfig()

    /// The effective prefill window `w`.
    public var effectiveWindow: Int {
        if let window { return window }
        return prefill == .streamingLLM ? prefillBudget / 2 : 8
    }

    /// The decoding metrics the reference class of each prefill method accepts (methods.md §3.3).
    public static func referenceAccepts(_ prefill: PrefillMethodKind) -> [DecodingMethodKind] {
        switch prefill {
        case .fullKV, .snapKV, .pyramidKV: return [.none, .slide, .adaptive, .discontinuous]
        case .h2o: return [.none, .h2o, .slide, .adaptive, .discontinuous]
        case .streamingLLM: return [.none, .slm]
        case .pyramidInfer: return [.none, .pyramidInfer]
        }
    }

    /// The `δ` in effect for a run generating at most `maxNewTokens` tokens.
    public func resolvedDelta(maxNewTokens: Int) -> Int {
        if let delta { return delta }
        if semantics == .reference && (prefill == .snapKV || prefill == .pyramidKV) { return 15 }
        let span = decodingWindow - recent
        guard span > 0 else { return 1 }
        return Swift.max(1, (maxNewTokens - recent) / span)
    }

    /// Throws `KVCacheError.invalidConfig` naming the first bad value or combination.
    public func validate() throws {
        func bad(_ message: String) -> KVCacheError { .invalidConfig(message) }
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
        if prefill == .snapKV || prefill == .pyramidKV {
            if kernel < 1 || kernel % 2 == 0 {
                throw bad("--kernel must be a positive odd number, got \(kernel) (an even kernel makes the reference gather go out of range, Q24)")
            }
        }
        if prefill == .pyramidKV || prefill == .pyramidInfer {
            if beta < 1 { throw bad("--beta must be at least 1, got \(beta)") }
        }
        if decoding != .none {
            if recent < 0 { throw bad("--recent must not be negative, got \(recent)") }
            if decoding != .adaptive && decoding != .discontinuous && decodingWindow <= recent {
                throw bad("--decoding-window (\(decodingWindow)) must be larger than --recent (\(recent))")
            }
            if let delta, delta < 1 { throw bad("--delta must be at least 1, got \(delta)") }
            if semantics == .reference && prefill != .fullKV && prefillBudget < 1 {
                throw bad("--prefill-budget must be at least 1 (it is the decoding prefix in reference semantics), got \(prefillBudget)")
            }
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
