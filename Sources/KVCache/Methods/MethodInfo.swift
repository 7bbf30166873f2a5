/// Whether a method compresses the prompt once (prefill) or runs at every decoding step.
public enum MethodStage: String, Sendable, Equatable {
    case prefill
    case decoding
}

/// A statistic a method asks for. The model computes only the statistics the configured methods
/// declare (`KVCache.prefillRequest`, `wantsDecodeProbabilities`); the cache reads keys itself.
public enum MethodStatistic: String, Sendable, Equatable {
    /// Causal softmax probabilities of the last `w` prompt queries over all prompt keys.
    case windowProbabilities = "window-probabilities"
    /// Per key, the sum over all prompt queries of their attention probabilities.
    case columnSums = "column-sums"
    /// The current query's softmax probabilities over the whole cache (decoding).
    case currentQueryProbabilities = "current-query-probabilities"
    /// The stored (post-RoPE) key rows.
    case keys
    /// The last `w` post-RoPE queries of every query head (a ring kept per layer).
    case recentQueries = "recent-queries"
}

/// One parameter of a method: its CLI flag (without `--`) and its default.
public struct MethodParameter: Sendable, Equatable {
    public let name: String
    public let defaultValue: String
    public let help: String

    public init(_ name: String, default defaultValue: String, _ help: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.help = help
    }

    public static let prefillBudget = MethodParameter("prefill-budget", default: "2048", "P: rows per head kept at prefill, window included")
    public static let window = MethodParameter("window", default: "8", "w: observation/recent window at prefill")
    public static let kernel = MethodParameter("kernel", default: "7", "pooling kernel size (odd)")
    public static let pooling = MethodParameter("pooling", default: "max", "pooling of the window scores (max or avg)")
    public static let beta = MethodParameter("beta", default: "20", "pyramid ratio")
    public static let decodingWindow = MethodParameter("decoding-window", default: "512", "dw: decoding budget in rows")
    public static let recent = MethodParameter("recent", default: "256", "dr: newest rows always kept")
    public static let delta = MethodParameter("delta", default: "auto", "growth period δ; auto = (max new tokens − dr) / (dw − dr)")
    public static let groupReduce = MethodParameter("group-reduce", default: "mean", "GQA group score reduction (corrected semantics)")
}

/// What `scope methods` prints about a method: name, stage, rule, parameters, paper.
public struct MethodInfo: Sendable, Equatable {
    /// The CLI name (lower case).
    public let name: String
    public let stage: MethodStage
    /// One line: the selection rule.
    public let rule: String
    /// arXiv id of the method's paper.
    public let paper: String
    public let parameters: [MethodParameter]
    public let statistics: [MethodStatistic]
    /// Other accepted names.
    public let aliases: [String]

    public init(name: String, stage: MethodStage, rule: String, paper: String, parameters: [MethodParameter],
                statistics: [MethodStatistic], aliases: [String] = []) {
        self.name = name
        self.stage = stage
        self.rule = rule
        self.paper = paper
        self.parameters = parameters
        self.statistics = statistics
        self.aliases = aliases
    }
}

/// How a prefill method's class behaves in the published SCOPE code (reference semantics).
public struct ReferenceClass: Sendable, Equatable {
    /// The reference's class name (ALLKV, SnapKV, ...).
    public let name: String
    /// The decoding metrics the class accepts.
    public let accepts: [DecodingMethodKind]
    /// Whether the class keeps class-level step counters (`S`, `J`, `Jl`).
    public let hasCounters: Bool
    /// `δ` when not given (the class constructor's default), or nil for the common default.
    public let defaultDelta: Int?
    /// Whether a prefill call resets `S` and `J` (H2O, ALLKV).
    public let resetsCounters: Bool
    /// Whether the decoding prefix `Pd` is the last prompt length (ALLKV) instead of `P`.
    public let prefixIsPromptLength: Bool

    public init(name: String, accepts: [DecodingMethodKind], hasCounters: Bool, defaultDelta: Int? = nil,
                resetsCounters: Bool = false, prefixIsPromptLength: Bool = false) {
        self.name = name
        self.accepts = accepts
        self.hasCounters = hasCounters
        self.defaultDelta = defaultDelta
        self.resetsCounters = resetsCounters
        self.prefixIsPromptLength = prefixIsPromptLength
    }
}
