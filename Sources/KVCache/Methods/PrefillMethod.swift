/// A prefill (prompt) compression method: the statistics it needs and its rule (scores → kept
/// rows, given the budget). Each method is one type in its own file, listed once in
/// `MethodRegistry.prefill`; the CLI, `scope methods`, the README list and the memory formula
/// read it from there.
///
/// Protocol of one layer: `plan` says whether and how many candidates are kept; `request` names
/// the attention statistics the model must compute; `scores` writes one score per candidate
/// (`[0, n − window)`) of a storage head; the cache keeps the `k` best plus the last `window` rows.
protocol PrefillMethod: Sendable {
    static var info: MethodInfo { get }
    /// The class of the published SCOPE code, or nil for a method the reference does not have
    /// (usable in corrected semantics only).
    static var referenceClass: ReferenceClass? { get }
    /// The window `w` when `--window` is not given.
    static func defaultWindow(budget P: Int) -> Int
    /// Method-specific checks (budget and window are checked for every compressing method).
    static func validate(_ config: CompressionConfig) throws
    /// Closed form (independent of `plan`): rows per storage head of `layer` right after prefill.
    static func rowsAfterPrefill(config: CompressionConfig, layers L: Int, layer: Int, promptLength n: Int) -> Int

    init(config: CompressionConfig)
    /// Newest rows always kept, appended after the selected candidates (0: every row competes).
    var window: Int { get }
    func plan(n: Int, layer: Int, layers L: Int) -> PrefillPlan
    /// What the model computes for a plan that compresses.
    func request(for plan: PrefillPlan, n: Int) -> PrefillScoreRequest
    /// Writes the scores of storage head `s`'s `input.candidates` candidates into `out`.
    func scores(_ input: PrefillScoring, storageHead s: Int, into out: UnsafeMutablePointer<Float>) throws
}

extension PrefillMethod {
    static func defaultWindow(budget P: Int) -> Int { 8 }
    static func validate(_ config: CompressionConfig) throws {}
}

/// The decision for one layer with `n` prompt rows.
struct PrefillPlan: Equatable {
    var branch: CompressionBranch
    /// Candidates kept (top-k count); nil when not compressing.
    var k: Int?
    /// The layer's pyramid budget `b_l` (always computed by the pyramid methods).
    var budget: Int?

    static var keepAll: PrefillPlan { PrefillPlan(branch: .none, k: nil, budget: nil) }

    /// `k = P − w` when `n ≥ P` (SnapKV, H2O, StreamingLLM, and the new methods with their window).
    static func uniform(n: Int, P: Int, w: Int) -> PrefillPlan {
        n < P ? .keepAll : PrefillPlan(branch: .compress, k: P - w, budget: nil)
    }
}

/// What a prefill method's `scores` reads: the model's statistics, the layer's rows, and the one
/// GQA group reduction.
struct PrefillScoring {
    let scores: PrefillScores
    /// `n`: prompt rows.
    let promptLength: Int
    /// `n − window`.
    let candidates: Int
    let layer: LayerKV
    let groups: GroupReducer
    /// Scratch of `candidates` floats (the group reduction's).
    let scratch: UnsafeMutablePointer<Float>
    /// Scratch of `candidates` doubles.
    let sums: UnsafeMutablePointer<Double>
}
