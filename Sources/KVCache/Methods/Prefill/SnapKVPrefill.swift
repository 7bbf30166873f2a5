/// SnapKV (arXiv 2404.14469): the last `w` queries' attention, summed and pooled, picks `P − w` rows.
struct SnapKVPrefill: UniformPrefill {
    static let info = MethodInfo(name: "snapkv", stage: .prefill,
                                 rule: "top P−w by the last w queries' probabilities summed per key, pooled; plus the window",
                                 paper: "2404.14469", parameters: [.prefillBudget, .window, .kernel, .pooling],
                                 statistics: [.windowProbabilities])
    static let referenceClass: ReferenceClass? = ReferenceClass(name: "SnapKV", accepts: PrefillRules.scopeMetrics, hasCounters: true,
                                                                defaultDelta: 15)
    static func validate(_ config: CompressionConfig) throws { try PrefillRules.checkKernel(config) }

    let P: Int, window: Int, kernel: Int, pooling: Pooling
    init(config: CompressionConfig) {
        P = config.prefillBudget; window = config.effectiveWindow; kernel = config.kernel; pooling = config.pooling
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
