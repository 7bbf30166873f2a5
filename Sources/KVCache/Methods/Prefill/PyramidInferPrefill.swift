/// PyramidInfer (arXiv 2405.12532) at prefill: H2O's column sums with the pyramid budget.
/// Reference semantics keep `P` candidates in the uniform branch (Q2) and use non-causal sums (Q1).
struct PyramidInferPrefill: PrefillMethod {
    static let info = MethodInfo(name: "pyramidinfer", stage: .prefill,
                                 rule: "H2O's column sums; top b_l per layer (pyramid) when n ≥ 2(P−w), else top P−w",
                                 paper: "2405.12532", parameters: [.prefillBudget, .window, .beta], statistics: [.columnSums])
    static let referenceClass: ReferenceClass? = ReferenceClass(name: "PyramidInfer", accepts: [.none, .pyramidInfer], hasCounters: false)
    static func validate(_ config: CompressionConfig) throws { try PrefillRules.checkBeta(config) }
    static func rowsAfterPrefill(config: CompressionConfig, layers L: Int, layer: Int, promptLength n: Int) -> Int {
        let P = config.prefillBudget
        return PrefillRules.pyramidRows(config: config, layers: L, layer: layer, promptLength: n,
                                        uniformK: config.semantics == .reference ? P : P - config.effectiveWindow)
    }

    let P: Int, window: Int, beta: Int, reference: Bool
    init(config: CompressionConfig) {
        P = config.prefillBudget; window = config.effectiveWindow; beta = config.beta; reference = config.semantics == .reference
    }
    func plan(n: Int, layer: Int, layers L: Int) -> PrefillPlan {
        PrefillRules.pyramidPlan(n: n, layer: layer, layers: L, P: P, w: window, beta: beta, uniformK: reference ? P : P - window)
    }
    func request(for plan: PrefillPlan, n: Int) -> PrefillScoreRequest {
        PrefillScoreRequest(kind: plan.k == nil ? .none : (reference ? .nonCausalColumnSums : .causalColumnSums), window: window, promptLength: n)
    }
    func scores(_ input: PrefillScoring, storageHead s: Int, into out: UnsafeMutablePointer<Float>) throws {
        input.groups.reduce(storageHead: s, count: input.candidates, into: out, scratch: input.scratch) { h, o in
            PrefillRules.columnSums(input, head: h, into: o)
        }
    }
}
