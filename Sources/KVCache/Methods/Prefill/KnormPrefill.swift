/// Knorm (arXiv 2406.11430; kvpress `KnormPress`): keys with a small L2 norm draw high attention,
/// so keep the smallest-norm keys. Needs no attention at all — only the stored keys.
struct KnormPrefill: UniformPrefill {
    static let info = MethodInfo(name: "knorm", stage: .prefill,
                                 rule: "top P−w by −‖k‖₂ (the smallest key norms) per KV head, plus the window; no attention",
                                 paper: "2406.11430", parameters: [.prefillBudget, .window], statistics: [.keys])
    static let referenceClass: ReferenceClass? = nil

    let P: Int, window: Int
    init(config: CompressionConfig) { P = config.prefillBudget; window = config.effectiveWindow }
    func request(for plan: PrefillPlan, n: Int) -> PrefillScoreRequest { PrefillScoreRequest(kind: .none, window: window, promptLength: n) }
    /// `−‖k_j‖₂` of the storage head's own keys (prompt rows are still in position order).
    func scores(_ input: PrefillScoring, storageHead s: Int, into out: UnsafeMutablePointer<Float>) throws {
        let row = UnsafeMutablePointer<Float>.allocate(capacity: input.layer.keyWidth)
        defer { row.deallocate() }
        for j in 0..<input.candidates { out[j] = -(try input.layer.keyNorm(s, row: j, scratch: row)) }
    }
}
