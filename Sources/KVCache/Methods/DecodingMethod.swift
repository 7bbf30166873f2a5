/// A decoding-phase compression method: when it compresses and which rows it keeps. Every call
/// reduces to a `DecodePlan` (keep a prefix, the `k` best-scored candidates, the newest rows);
/// `scores` ranks the candidates (by default the current query's probabilities, reduced over the
/// GQA group). Each method is one type in its own file, listed once in `MethodRegistry.decoding`.
protocol DecodingMethod: Sendable {
    static var info: MethodInfo { get }
    /// Whether the method keeps step counters (`S`, `J`, `Jl`).
    static var usesCounters: Bool { get }
    /// Method-specific checks of the decoding parameters.
    static func validate(_ config: CompressionConfig) throws
    /// Closed form (independent of `plan`): rows of `layer` after a call that found `kLen` rows
    /// (new token included) with prefix `Pd` at decoding step `t`.
    static func rowsAfter(kLen: Int, Pd: Int, layer: Int, step t: Int, context: DecodingContext,
                          state: inout DecodeMemoryState) -> Int

    init(_ context: DecodingContext)
    /// Plans one call on `layer` with `kLen` rows and prefix size `Pd`, advancing `counters` as the call does.
    func plan(layer: Int, kLen: Int, Pd: Int, position: Int, counters: inout ReferenceCounters.Counters) -> DecodePlan
    /// Most rows a layer can hold during decoding (nil: grows with every token).
    func capacityBound(rowsAfterPrefill rows0: Int, Pd: Int, maxNewTokens: Int, stepsDone s0: Int) -> Int?
    /// Writes the scores of candidate rows `rows` (physical rows of storage head `s`) into `out`.
    func scores(_ input: DecodeScoring, storageHead s: Int, rows: UnsafeBufferPointer<Int>, into out: UnsafeMutablePointer<Float>) throws
    /// Queries per layer to keep in the query ring (0: the method reads none).
    var queryWindow: Int { get }
}

extension DecodingMethod {
    static var usesCounters: Bool { false }
    var queryWindow: Int { 0 }
    /// Whether ranking needs the current query's probabilities from the model's attention.
    var usesCurrentProbabilities: Bool { Self.info.statistics.contains(.currentQueryProbabilities) }

    /// `dr ≥ 0` and `dw > dr`.
    static func validate(_ config: CompressionConfig) throws {
        try checkRecent(config)
        if config.decodingWindow <= config.recent {
            throw KVCacheError.invalidConfig("--decoding-window (\(config.decodingWindow)) must be larger than --recent (\(config.recent))")
        }
    }

    /// `dr ≥ 0`.
    static func checkRecent(_ config: CompressionConfig) throws {
        if config.recent < 0 { throw KVCacheError.invalidConfig("--recent must not be negative, got \(config.recent)") }
    }

    /// The current query's probabilities of each candidate, reduced over the GQA group.
    func scores(_ input: DecodeScoring, storageHead s: Int, rows: UnsafeBufferPointer<Int>, into out: UnsafeMutablePointer<Float>) throws {
        try currentQueryScores(input, storageHead: s, rows: rows, into: out)
    }

    /// The current query's probabilities of each candidate, reduced over the GQA group (by
    /// `--group-reduce`, or by `mode` when given).
    func currentQueryScores(_ input: DecodeScoring, storageHead s: Int, rows: UnsafeBufferPointer<Int>,
                            mode: GroupReduce? = nil, into out: UnsafeMutablePointer<Float>) throws {
        guard let probabilities = input.probabilities else {
            throw KVCacheError.protocolViolation("\(Self.info.name): scores need the current query's probabilities")
        }
        input.groups.reduce(storageHead: s, count: rows.count, into: out, scratch: input.scratch, mode: mode) { h, o in
            let row = probabilities.baseAddress! + h * input.kLen
            for i in 0..<rows.count { o[i] = row[rows[i]] }
        }
    }
}

/// The parameters every decoding method is built from.
struct DecodingContext: Sendable {
    let config: CompressionConfig
    let dw: Int
    let dr: Int
    let delta: Int
    let layers: Int
    let reference: Bool

    init(config: CompressionConfig, delta: Int, layers: Int) {
        self.config = config
        dw = config.decodingWindow
        dr = config.recent
        self.delta = delta
        self.layers = layers
        reference = config.semantics == .reference
    }
}

/// Counters the closed-form memory walk carries between calls (discontinuous skips).
struct DecodeMemoryState {
    var sharedJ = 0
    var sharedJl = 0
    var layerJ: [Int]
    /// Prompt length `n`: decoding step `t` feeds position `n + t`.
    var promptLength: Int
}

/// What a decoding method's `scores` reads.
struct DecodeScoring {
    /// `[queryHeads][kLen]` current-query probabilities (physical row order), when the method uses them.
    let probabilities: UnsafeBufferPointer<Float>?
    /// The layer's recent queries (empty unless the method has a `queryWindow`).
    let queries: QueryRing
    let shape: CacheShape
    let kLen: Int
    let layer: LayerKV
    let groups: GroupReducer
    /// Scratch of at least the candidate count.
    let scratch: UnsafeMutablePointer<Float>
}
