/// The schedule R-KV and SnapKV-D share: at positions that are multiples of `interval`, when a
/// layer holds more than `Pd + dw` rows, cut it to `Pd + dw` — the newest `w` (kept even when they
/// exceed the budget) and the best-scored others.
struct PeriodicWindowRule: Sendable {
    let dw: Int, w: Int, every: Int

    /// Validated by `validate` (through `CompressionConfig.validate`) before any cache is built.
    init(_ context: DecodingContext, window: MethodParameter, interval: MethodParameter) {
        dw = context.dw
        w = Self.value(context.config, window)
        every = Self.value(context.config, interval)
    }

    /// `dw ≥ 1`, an odd kernel, `w ≥ 1`, `interval ≥ 1`.
    static func validate(_ config: CompressionConfig, method: String, window: MethodParameter, interval: MethodParameter) throws {
        if config.decodingWindow < 1 {
            throw KVCacheError.invalidConfig("--decoding-window must be at least 1 for \(method), got \(config.decodingWindow)")
        }
        try PrefillRules.checkKernel(config)
        if try config.intParameter(window) < 1 { throw KVCacheError.invalidConfig("--param query-window must be at least 1") }
        if try config.intParameter(interval) < 1 { throw KVCacheError.invalidConfig("--interval must be at least 1") }
    }

    /// Closed form (written apart from `plan`): rows after a call at `position` that found `kLen` rows.
    func rowsAfter(kLen: Int, Pd: Int, position: Int) -> Int {
        position % every == 0 && kLen > Pd + dw ? Swift.max(Pd + dw, Swift.min(w, kLen)) : kLen
    }

    func plan(kLen: Int, Pd: Int, position: Int) -> DecodePlan {
        var p = DecodePlan(branch: .belowThreshold)
        if position % every != 0 || kLen <= Pd + dw { return p }
        p.branch = .compress
        p.candidates = 0..<kLen; p.recent = w; p.recentByRank = true; p.keepTotal = Pd + dw; p.k = Pd + dw
        return p
    }

    func capacityBound(rowsAfterPrefill rows0: Int, Pd: Int) -> Int { Swift.max(rows0, Pd + dw) + every }

    /// An integer parameter already validated (its default if it were not).
    private static func value(_ config: CompressionConfig, _ p: MethodParameter) -> Int {
        (try? config.intParameter(p)) ?? Int(p.defaultValue)!
    }
}

/// A decoding method scheduled by a `PeriodicWindowRule` (R-KV, SnapKV-D): only its scores differ.
protocol PeriodicWindowMethod: DecodingMethod {
    /// `w`: recent queries that score; the newest `w` rows are kept.
    static var window: MethodParameter { get }
    /// Compress when the new token's position is a multiple of this.
    static var interval: MethodParameter { get }
    var rule: PeriodicWindowRule { get }
}

extension PeriodicWindowMethod {
    static func rowsAfter(kLen: Int, Pd: Int, layer: Int, step t: Int, context c: DecodingContext, state: inout DecodeMemoryState) -> Int {
        PeriodicWindowRule(c, window: window, interval: interval).rowsAfter(kLen: kLen, Pd: Pd, position: state.promptLength + t)
    }

    var queryWindow: Int { rule.w }

    func plan(layer: Int, kLen: Int, Pd: Int, position: Int, counters: inout ReferenceCounters.Counters) -> DecodePlan {
        rule.plan(kLen: kLen, Pd: Pd, position: position)
    }

    func capacityBound(rowsAfterPrefill rows0: Int, Pd: Int, maxNewTokens: Int, stepsDone s0: Int) -> Int? {
        rule.capacityBound(rowsAfterPrefill: rows0, Pd: Pd)
    }
}
