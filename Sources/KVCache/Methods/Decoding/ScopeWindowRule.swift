/// The rule SCOPE's `slide`, `adaptive` and `discontinuous` share (methods.md §3.1): a frozen
/// prefix `Pd`, the top `dws − dr` of the decoded rows by the current query's attention, the newest `dr`.
enum ScopeWindowRule {
    static let parameters: [MethodParameter] = [.decodingWindow, .recent]

    /// The description of a growing-budget method (`adaptive`, `discontinuous`).
    static func growingInfo(name: String, rule: String) -> MethodInfo {
        MethodInfo(name: name, stage: .decoding, rule: rule, paper: "2412.13649", parameters: parameters + [.delta],
                   statistics: [.currentQueryProbabilities])
    }

    /// The compressing plan with decoding budget `dws` (or below threshold).
    static func plan(kLen: Int, Pd: Int, dws: Int, dr: Int) -> DecodePlan {
        var p = DecodePlan(branch: .belowThreshold)
        p.dws = dws
        if kLen < Pd + dws { return p }
        p.branch = .compress
        p.prefix = Pd; p.candidates = Pd..<(kLen - dr); p.k = dws - dr; p.recent = dr
        return p
    }

    /// `dws = dr + S / δ` (per layer), or `dr + S / (δ·L)` over the shared counter in reference semantics.
    static func growingBudget(_ c: DecodingContext, counters: inout ReferenceCounters.Counters) -> Int {
        let dws = c.dr + counters.S / (c.delta * (c.reference ? c.layers : 1))
        counters.S += 1
        return dws
    }

    /// `dws` at step `t` of layer `l` in the closed form (fresh counters).
    static func growingBudget(_ c: DecodingContext, step t: Int, layer l: Int) -> Int {
        c.dr + (c.reference ? (t * c.layers + l) / (c.delta * c.layers) : t / c.delta)
    }

    /// Rows bound of the growing methods: the largest `dws` the run can reach, plus `slack` skipped steps.
    static func growingCapacity(_ c: DecodingContext, rows0: Int, Pd: Int, maxNewTokens: Int, s0: Int, slack: Int) -> Int {
        let perDws = c.reference ? c.delta * c.layers : c.delta
        let calls = c.reference ? maxNewTokens * c.layers : maxNewTokens
        let dwsMax = c.dr + (s0 + calls) / perDws
        return Swift.max(rows0, Pd + dwsMax + slack) + 1
    }
}
