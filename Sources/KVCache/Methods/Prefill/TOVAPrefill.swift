/// TOVA (arXiv 2401.06104) at prefill: rank the prompt rows by the last prompt query's attention,
/// averaged over the query heads of each KV group (GQA-native), and keep the top `P − w` plus the window.
struct TOVAPrefill: UniformPrefill {
    static let info = MethodInfo(name: "tova", stage: .prefill,
                                 rule: "top P−w by the last prompt query's probabilities, mean over the group's query heads, plus the window",
                                 paper: "2401.06104", parameters: [.prefillBudget, .window], statistics: [.windowProbabilities])
    static let referenceClass: ReferenceClass? = nil

    let P: Int, window: Int
    init(config: CompressionConfig) { P = config.prefillBudget; window = config.effectiveWindow }
    /// Only the last query's row: a window of 1.
    func request(for plan: PrefillPlan, n: Int) -> PrefillScoreRequest {
        PrefillScoreRequest(kind: plan.k == nil ? .none : .windowProbabilities, window: 1, promptLength: n)
    }
    func scores(_ input: PrefillScoring, storageHead s: Int, into out: UnsafeMutablePointer<Float>) throws {
        let scores = input.scores
        scores.windowProbabilities.withUnsafeBufferPointer { wp in
            input.groups.reduce(storageHead: s, count: input.candidates, into: out, scratch: input.scratch, mode: .mean) { h, o in
                let row = wp.baseAddress! + scores.windowRowOffset(head: h, row: 0)
                for j in 0..<input.candidates { o[j] = row[j] }
            }
        }
    }
}
