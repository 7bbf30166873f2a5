/// H2O (arXiv 2306.14048) at prefill: accumulated attention (column sums over all prompt queries).
/// Reference semantics use the published non-causal sums (Q1).
struct H2OPrefill: UniformPrefill {
    static let info = MethodInfo(name: "h2o", stage: .prefill,
                                 rule: "top P−w by attention summed over all prompt queries (column sums); plus the window",
                                 paper: "2306.14048", parameters: [.prefillBudget, .window], statistics: [.columnSums])
    static let referenceClass: ReferenceClass? = ReferenceClass(name: "H2O", accepts: [.none, .h2o, .slide, .adaptive, .discontinuous],
                                                                hasCounters: true, resetsCounters: true)

    let P: Int, window: Int, causal: Bool
    init(config: CompressionConfig) {
        P = config.prefillBudget; window = config.effectiveWindow; causal = config.semantics != .reference
    }
    func request(for plan: PrefillPlan, n: Int) -> PrefillScoreRequest {
        PrefillScoreRequest(kind: plan.k == nil ? .none : (causal ? .causalColumnSums : .nonCausalColumnSums), window: window, promptLength: n)
    }
    func scores(_ input: PrefillScoring, storageHead s: Int, into out: UnsafeMutablePointer<Float>) throws {
        input.groups.reduce(storageHead: s, count: input.candidates, into: out, scratch: input.scratch) { h, o in
            PrefillRules.columnSums(input, head: h, into: o)
        }
    }
}
