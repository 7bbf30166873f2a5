/// SCOPE's `h2o` decoding metric: rank every row but the newest `dr` by the current query's
/// attention, keep `Pd + dw − dr` of them (nothing frozen).
struct H2ODecoding: DecodingMethod {
    static let info = MethodInfo(name: "h2o", stage: .decoding,
                                 rule: "when k_len ≥ Pd+dw: top Pd+dw−dr of all older rows by the current query's attention, plus the newest dr",
                                 paper: "2306.14048", parameters: [.decodingWindow, .recent], statistics: [.currentQueryProbabilities])
    static func rowsAfter(kLen: Int, Pd: Int, layer: Int, step t: Int, context c: DecodingContext, state: inout DecodeMemoryState) -> Int {
        kLen >= Pd + c.dw ? Pd + c.dw : kLen
    }

    let dw: Int, dr: Int
    init(_ context: DecodingContext) { dw = context.dw; dr = context.dr }
    func plan(layer: Int, kLen: Int, Pd: Int, position: Int, counters: inout ReferenceCounters.Counters) -> DecodePlan {
        var p = DecodePlan(branch: .belowThreshold)
        if kLen < Pd + dw { return p }
        p.branch = .compress
        p.candidates = 0..<(kLen - dr); p.k = Pd + dw - dr; p.recent = dr
        return p
    }
    func capacityBound(rowsAfterPrefill rows0: Int, Pd: Int, maxNewTokens: Int, stepsDone s0: Int) -> Int? { Swift.max(rows0, Pd + dw) + 1 }
}
