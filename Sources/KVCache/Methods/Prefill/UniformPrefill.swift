/// The prefill methods with one budget for every layer (SnapKV, H2O, StreamingLLM, Knorm, TOVA):
/// a layer of `n ≥ P` prompt rows keeps its `P − w` best candidates plus the window `w`.
protocol UniformPrefill: PrefillMethod {
    /// `P`: rows per storage head kept, window included.
    var P: Int { get }
}

extension UniformPrefill {
    static func rowsAfterPrefill(config: CompressionConfig, layers L: Int, layer: Int, promptLength n: Int) -> Int {
        n < config.prefillBudget ? n : config.prefillBudget
    }

    func plan(n: Int, layer: Int, layers L: Int) -> PrefillPlan { .uniform(n: n, P: P, w: window) }
}
