/// PyramidKV (arXiv 2406.02069): SnapKV's score with a per-layer budget falling from the first to the last layer.
struct PyramidKVPrefill: PrefillMethod {
    static let info = MethodInfo(name: "pyramidkv", stage: .prefill,
                                 rule: "SnapKV's pooled window score; top b_l per layer (pyramid) when n ≥ 2(P−w), else top P−w",
                                 paper: "2406.02069", parameters: [.prefillBudget, .window, .kernel, .pooling, .beta],
                                 statistics: [.windowProbabilities])
    static let referenceClass: ReferenceClass? = ReferenceClass(name: "PyramidKV", accepts: PrefillRules.scopeMetrics, hasCounters: true,
                                                                defaultDelta: 15)
    static func validate(_ config: CompressionConfig) throws {
        try PrefillRules.checkKernel(config)
        try PrefillRules.checkBeta(config)
    }
    static func rowsAfterPrefill(config: CompressionConfig, layers L: Int, layer: Int, promptLength n: Int) -> Int {
        PrefillRules.pyramidRows(config: config, layers: L, layer: layer, promptLength: n, uniformK: config.prefillBudget - config.effectiveWindow)
    }

    let P: Int, window: Int, kernel: Int, pooling: Pooling, beta: Int
    init(config: CompressionConfig) {
        P = config.prefillBudget; window = config.effectiveWindow; kernel = config.kernel; pooling = config.pooling; beta = config.beta
    }
    func plan(n: Int, layer: Int, layers L: Int) -> PrefillPlan {
        PrefillRules.pyramidPlan(n: n, layer: layer, layers: L, P: P, w: window, beta: beta, uniformK: P - window)
    }
    func request(for plan: PrefillPlan, n: Int) -> PrefillScoreRequest {
        PrefillScoreRequest(kind: plan.k == nil ? .none : .windowProbabilities, window: window, promptLength: n)
    }
    func scores(_ input: PrefillScoring, storageHead s: Int, into out: UnsafeMutablePointer<Float>) throws {
        input.groups.reduce(storageHead: s, count: input.candidates, into: out, scratch: input.scratch) { h, o in
            PrefillRules.pooledWindow(input, head: h, window: window, kernel: kernel, pooling: pooling, into: o)
        }
    }
}
