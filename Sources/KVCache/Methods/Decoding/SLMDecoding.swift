/// StreamingLLM during decoding (`slm`): when full, keep the sinks and the newest rows.
/// Reference semantics (Q9): the first `dw − dr` generated rows become sinks too.
struct SLMDecoding: DecodingMethod {
    static let info = MethodInfo(name: "slm", stage: .decoding,
                                 rule: "when k_len ≥ Pd+dw: keep the prefix Pd and the newest dw rows (reference: prefix Pd+dw−dr, newest dr)",
                                 paper: "2309.17453", parameters: [.decodingWindow, .recent], statistics: [])
    static func rowsAfter(kLen: Int, Pd: Int, layer: Int, step t: Int, context c: DecodingContext, state: inout DecodeMemoryState) -> Int {
        kLen >= Pd + c.dw ? Pd + c.dw : kLen
    }

    let dw: Int, dr: Int, reference: Bool
    init(_ context: DecodingContext) { dw = context.dw; dr = context.dr; reference = context.reference }
    func plan(layer: Int, kLen: Int, Pd: Int, position: Int, counters: inout ReferenceCounters.Counters) -> DecodePlan {
        var p = DecodePlan(branch: .belowThreshold)
        if kLen < Pd + dw { return p }
        p.branch = .compress
        if reference {
            p.prefix = Pd + dw - dr; p.recent = dr
        } else {
            p.prefix = Pd; p.recent = dw
        }
        return p
    }
    func capacityBound(rowsAfterPrefill rows0: Int, Pd: Int, maxNewTokens: Int, stepsDone s0: Int) -> Int? { Swift.max(rows0, Pd + dw) + 1 }
}
