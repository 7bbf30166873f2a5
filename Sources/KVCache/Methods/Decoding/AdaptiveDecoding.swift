/// SCOPE `adaptive`: the decoding budget grows by one row every `δ` steps (`dws = dr + S/δ`).
struct AdaptiveDecoding: DecodingMethod {
    static let info = ScopeWindowRule.growingInfo(name: "adaptive", rule: "as slide with a growing budget dws = dr + steps/δ")
    static let usesCounters = true
    /// `dr ≥ 0` (`dw` only enters δ's default).
    static func validate(_ config: CompressionConfig) throws { try checkRecent(config) }
    static func rowsAfter(kLen: Int, Pd: Int, layer l: Int, step t: Int, context c: DecodingContext, state: inout DecodeMemoryState) -> Int {
        let dws = ScopeWindowRule.growingBudget(c, step: t, layer: l)
        return kLen >= Pd + dws ? Pd + dws : kLen
    }

    let context: DecodingContext
    init(_ context: DecodingContext) { self.context = context }
    func plan(layer: Int, kLen: Int, Pd: Int, position: Int, counters: inout ReferenceCounters.Counters) -> DecodePlan {
        let dws = ScopeWindowRule.growingBudget(context, counters: &counters)
        return ScopeWindowRule.plan(kLen: kLen, Pd: Pd, dws: dws, dr: context.dr)
    }
    func capacityBound(rowsAfterPrefill rows0: Int, Pd: Int, maxNewTokens: Int, stepsDone s0: Int) -> Int? {
        ScopeWindowRule.growingCapacity(context, rows0: rows0, Pd: Pd, maxNewTokens: maxNewTokens, s0: s0, slack: 0)
    }
}
