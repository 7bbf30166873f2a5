/// SCOPE `discontinuous`: `adaptive`'s budget, compressing only once every `δ` calls (skips in between).
struct DiscontinuousDecoding: DecodingMethod {
    static let info = ScopeWindowRule.growingInfo(name: "discontinuous", rule: "as adaptive, but compress once after every δ skipped calls")
    static let usesCounters = true
    /// `dr ≥ 0` (`dw` only enters δ's default).
    static func validate(_ config: CompressionConfig) throws { try checkRecent(config) }
    static func rowsAfter(kLen: Int, Pd: Int, layer l: Int, step t: Int, context c: DecodingContext, state: inout DecodeMemoryState) -> Int {
        let dws = ScopeWindowRule.growingBudget(c, step: t, layer: l)
        guard kLen >= Pd + dws else { return kLen }
        if c.reference {
            if state.sharedJ < c.delta * c.layers { state.sharedJ += 1; return kLen }
            state.sharedJl += 1
            if state.sharedJl == c.layers { state.sharedJ = 0; state.sharedJl = 0 }
        } else {
            if state.layerJ[l] < c.delta { state.layerJ[l] += 1; return kLen }
            state.layerJ[l] = 0
        }
        return Pd + dws
    }

    let context: DecodingContext
    init(_ context: DecodingContext) { self.context = context }
    func plan(layer: Int, kLen: Int, Pd: Int, position: Int, counters: inout ReferenceCounters.Counters) -> DecodePlan {
        let dws = ScopeWindowRule.growingBudget(context, counters: &counters)
        var p = ScopeWindowRule.plan(kLen: kLen, Pd: Pd, dws: dws, dr: context.dr)
        guard p.branch == .compress else { return p }
        let c = context
        if c.reference {
            if counters.J < c.delta * c.layers { counters.J += 1; p.branch = .skip; return p }
            counters.Jl += 1
            if counters.Jl == c.layers { counters.J = 0; counters.Jl = 0 }
        } else {
            if counters.J < c.delta { counters.J += 1; p.branch = .skip; return p }
            counters.J = 0
        }
        return p
    }
    func capacityBound(rowsAfterPrefill rows0: Int, Pd: Int, maxNewTokens: Int, stepsDone s0: Int) -> Int? {
        ScopeWindowRule.growingCapacity(context, rows0: rows0, Pd: Pd, maxNewTokens: maxNewTokens, s0: s0, slack: context.delta + 1)
    }
}
