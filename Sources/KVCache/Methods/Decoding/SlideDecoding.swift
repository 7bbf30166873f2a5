/// SCOPE `slide` (arXiv 2412.13649): a sliding decoding budget of `dw` rows after the frozen prefix.
struct SlideDecoding: DecodingMethod {
    static let info = MethodInfo(name: "slide", stage: .decoding,
                                 rule: "when k_len ≥ Pd+dw: keep the prefix Pd, top dw−dr decoded rows by the current query's attention, the newest dr",
                                 paper: "2412.13649", parameters: ScopeWindowRule.parameters, statistics: [.currentQueryProbabilities])
    static func rowsAfter(kLen: Int, Pd: Int, layer: Int, step t: Int, context c: DecodingContext, state: inout DecodeMemoryState) -> Int {
        kLen >= Pd + c.dw ? Pd + c.dw : kLen
    }

    let dw: Int, dr: Int
    init(_ context: DecodingContext) { dw = context.dw; dr = context.dr }
    func plan(layer: Int, kLen: Int, Pd: Int, position: Int, counters: inout ReferenceCounters.Counters) -> DecodePlan {
        ScopeWindowRule.plan(kLen: kLen, Pd: Pd, dws: dw, dr: dr)
    }
    func capacityBound(rowsAfterPrefill rows0: Int, Pd: Int, maxNewTokens: Int, stepsDone s0: Int) -> Int? { Swift.max(rows0, Pd + dw) + 1 }
}
