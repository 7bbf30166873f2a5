/// StreamingLLM (arXiv 2309.17453): the first `P − w` prompt rows (attention sinks) plus the last `w`.
struct StreamingLLMPrefill: UniformPrefill {
    static let info = MethodInfo(name: "streamingllm", stage: .prefill, rule: "keep rows [0, P−w) and the last w (w = P/2 by default)",
                                 paper: "2309.17453",
                                 parameters: [.prefillBudget, MethodParameter("window", default: "P/2", "w: recent rows kept")],
                                 statistics: [])
    static let referenceClass: ReferenceClass? = ReferenceClass(name: "StreamingLLM", accepts: [.none, .slm], hasCounters: false)
    static func defaultWindow(budget P: Int) -> Int { P / 2 }

    let P: Int
    let window: Int
    init(config: CompressionConfig) { P = config.prefillBudget; window = config.effectiveWindow }
    func request(for plan: PrefillPlan, n: Int) -> PrefillScoreRequest { PrefillScoreRequest(kind: .none, window: window, promptLength: n) }
    /// Equal scores: the tie rule keeps the lowest positions.
    func scores(_ input: PrefillScoring, storageHead s: Int, into out: UnsafeMutablePointer<Float>) throws {
        for j in 0..<input.candidates { out[j] = 0 }
    }
}
