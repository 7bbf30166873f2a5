/// The branch a prefill or decoding call took, named as in the vectors.
public enum CompressionBranch: String, Sendable, Equatable {
    case none
    case belowThreshold = "below_threshold"
    case skip
    case compress
    case uniform
    case pyramid
}

/// The integer budget formulas of PyramidKV/PyramidInfer (methods.md §2.2) and the
/// `pyramidinfer` decoding pyramid (§3.1).
public enum PyramidBudget {
    /// Intermediate values of the prefill pyramid.
    public struct Info: Sendable, Equatable {
        public var minNum: Int
        public var maxNum: Int
        public var steps: Int
        public var adjusted: Bool
    }

    /// Prefill budget `b_l` of layer `layer` (floor division, `steps = (max − min) // L`).
    public static func prefill(P: Int, w: Int, n: Int, layers L: Int, layer: Int, beta: Int) -> (budget: Int, info: Info) {
        var minNum = floorDiv(P - w, beta)
        var maxNum = (P - w) * 2 - minNum
        var adjusted = false
        if maxNum >= n - w {
            maxNum = n - w
            minNum = (P - w) * 2 - maxNum
            adjusted = true
        }
        let steps = floorDiv(maxNum - minNum, L)
        return (maxNum - layer * steps, Info(minNum: minNum, maxNum: maxNum, steps: steps, adjusted: adjusted))
    }

    /// `pyramidinfer` decoding budget `b'_l` with `X = Pd + dw − dr`.
    public static func decoding(Pd: Int, dw: Int, dr: Int, layers L: Int, layer: Int) -> Int {
        let x = Pd + dw - dr
        let minNum = floorDiv(x, 2)
        let maxNum = x * 2 - minNum
        let steps = floorDiv(maxNum - minNum, L)
        return maxNum - layer * steps
    }

    /// Python's `//` (rounds toward −∞).
    @inline(__always) public static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}

/// The score rule of a prefill method: what it asks of the model and how it turns that into one
/// score per candidate key (`[0, n−w)`).
enum PrefillScoreRule: Equatable {
    /// No scores: StreamingLLM keeps the lowest positions (equal scores + the tie rule).
    case positional
    /// SnapKV/PyramidKV: summed window probabilities, pooled along the key axis.
    case pooledWindow(kernel: Int, pooling: Pooling)
    /// H2O/PyramidInfer: column sums over all queries (causal, or the reference's non-causal kind).
    case columnSums(causal: Bool)
}

/// The budget rule of a prefill method: whether and how many candidates a layer keeps.
enum PrefillBudgetRule: Equatable {
    /// FullKV: never compress.
    case keepAll
    /// SnapKV/H2O/StreamingLLM: `k = P − w` when `n ≥ P`.
    case uniform
    /// PyramidKV/PyramidInfer: uniform `k` when `P ≤ n < 2(P−w)`, pyramid `b_l` above.
    /// `uniformKeepsP`: the reference PyramidInfer keeps `P` candidates (not `P − w`) in the uniform branch (Q2).
    case pyramid(beta: Int, uniformKeepsP: Bool)
}

/// A prefill method = a score rule + a budget rule (kvpress-style composition).
struct PrefillPolicy {
    let method: PrefillMethodKind
    let score: PrefillScoreRule
    let budget: PrefillBudgetRule
    let P: Int
    let w: Int

    init(config: CompressionConfig) {
        method = config.prefill
        P = config.prefillBudget
        w = config.effectiveWindow
        let reference = config.semantics == .reference
        switch config.prefill {
        case .fullKV:
            score = .positional; budget = .keepAll
        case .streamingLLM:
            score = .positional; budget = .uniform
        case .snapKV:
            score = .pooledWindow(kernel: config.kernel, pooling: config.pooling); budget = .uniform
        case .pyramidKV:
            score = .pooledWindow(kernel: config.kernel, pooling: config.pooling)
            budget = .pyramid(beta: config.beta, uniformKeepsP: false)
        case .h2o:
            score = .columnSums(causal: !reference); budget = .uniform
        case .pyramidInfer:
            score = .columnSums(causal: !reference)
            budget = .pyramid(beta: config.beta, uniformKeepsP: reference)
        }
    }

    /// The decision for one layer with `n` prompt rows.
    struct Plan: Equatable {
        var branch: CompressionBranch
        /// Candidates kept (top-k count); nil when not compressing.
        var k: Int?
        /// The layer's pyramid budget `b_l` (always computed by the pyramid methods).
        var budget: Int?
    }

    func plan(n: Int, layer: Int, layers L: Int) -> Plan {
        var budgetValue: Int? = nil
        if case .pyramid(let beta, _) = budget {
            budgetValue = PyramidBudget.prefill(P: P, w: w, n: n, layers: L, layer: layer, beta: beta).budget
        }
        switch budget {
        case .keepAll:
            return Plan(branch: .none, k: nil, budget: nil)
        case .uniform:
            if n < P { return Plan(branch: .none, k: nil, budget: nil) }
            return Plan(branch: .compress, k: P - w, budget: nil)
        case .pyramid(_, let uniformKeepsP):
            if n < P { return Plan(branch: .none, k: nil, budget: budgetValue) }
            if n < 2 * (P - w) { return Plan(branch: .uniform, k: uniformKeepsP ? P : P - w, budget: budgetValue) }
            return Plan(branch: .pyramid, k: budgetValue, budget: budgetValue)
        }
    }

    /// What the model must compute for a plan.
    func request(for plan: Plan, n: Int) -> PrefillScoreRequest {
        guard plan.k != nil else { return PrefillScoreRequest(kind: .none, window: w, promptLength: n) }
        switch score {
        case .positional: return PrefillScoreRequest(kind: .none, window: w, promptLength: n)
        case .pooledWindow: return PrefillScoreRequest(kind: .windowProbabilities, window: w, promptLength: n)
        case .columnSums(let causal):
            return PrefillScoreRequest(kind: causal ? .causalColumnSums : .nonCausalColumnSums, window: w, promptLength: n)
        }
    }

    /// Writes the candidate scores of query head `h` (`n − w` values) into `out`.
    func candidateScores(head h: Int, scores: PrefillScores, n: Int, out: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Double>) {
        let m = n - w
        switch score {
        case .positional:
            for j in 0..<m { out[j] = 0 }
        case .columnSums:
            scores.columnSums.withUnsafeBufferPointer { cs in
                let base = cs.baseAddress! + scores.columnSumOffset(head: h)
                for j in 0..<m { out[j] = base[j] }
            }
        case .pooledWindow(let kernel, let pooling):
            scores.windowProbabilities.withUnsafeBufferPointer { wp in
                for j in 0..<m { sums[j] = 0 }
                for i in 0..<w {
                    let row = wp.baseAddress! + scores.windowRowOffset(head: h, row: i)
                    for j in 0..<m { sums[j] += Double(row[j]) }
                }
            }
            Pooling1D.apply(UnsafePointer(sums), count: m, kernel: kernel, pooling: pooling, out: out)
        }
    }
}

/// Stride-1 pooling (in float64) with padding `kernel/2` (odd kernels): avg divides by `kernel` (zero padding
/// counted), max ignores the padding.
enum Pooling1D {
    static func apply(_ x: UnsafePointer<Double>, count n: Int, kernel: Int, pooling: Pooling, out: UnsafeMutablePointer<Float>) {
        let r = kernel / 2
        for j in 0..<n {
            let lo = Swift.max(0, j - r), hi = Swift.min(n, j + r + 1)
            switch pooling {
            case .avg:
                var s: Double = 0
                for t in lo..<hi { s += x[t] }
                out[j] = Float(s / Double(kernel))
            case .max:
                var v = x[lo]
                for t in (lo + 1)..<hi where x[t] > v { v = x[t] }
                out[j] = Float(v)
            }
        }
    }
}
