/// What one decoding call does to a layer: keep slots `[0, prefix)`, the `k` best-scored slots
/// of `candidates`, and the last `recent` slots. Every decoding method reduces to this shape.
struct DecodePlan: Equatable {
    var branch: CompressionBranch
    /// The decoding budget `dws` in effect (slide/adaptive/discontinuous).
    var dws: Int?
    /// The `pyramidinfer` layer budget `b'_l`.
    var budget: Int?
    var prefix = 0
    var candidates = 0..<0
    var k = 0
    var recent = 0

    /// Whether the plan changes the cache.
    var compresses: Bool { branch == .compress || branch == .uniform || branch == .pyramid }
    /// Whether it needs the current query's probabilities.
    var needsScores: Bool { compresses && k > 0 && (k < candidates.count || ranksCandidates) }
    /// Reference order ranks even a full candidate set (top-k reorders it).
    var ranksCandidates = false
}

/// Step counters a decoding call reads and advances: the reference's shared class counters, or
/// the corrected per-sequence, per-layer ones (`S` = calls of this layer, `J` = skip count).
enum CounterScope {
    case shared(ReferenceCounters, PrefillMethodKind)
    case perLayer
}

/// The decoding method: a budget/trigger rule (this type) over the common prefix+top-k+recent selection.
struct DecodingPolicy {
    let method: DecodingMethodKind
    let dw: Int
    let dr: Int
    let delta: Int
    let layers: Int
    let reference: Bool

    /// Plans one call on `layer` with `kLen` rows (new token included) and prefix size `Pd`,
    /// advancing `counters` exactly as the call does.
    func plan(layer: Int, kLen: Int, Pd: Int, counters: inout ReferenceCounters.Counters) -> DecodePlan {
        var p = DecodePlan(branch: .none)
        p.ranksCandidates = reference
        switch method {
        case .none:
            return p
        case .slm:
            if kLen < Pd + dw { p.branch = .belowThreshold; return p }
            p.branch = .compress
            if reference {
                p.prefix = Pd + dw - dr; p.recent = dr            // Q9: the first dw−dr generated tokens become sinks
            } else {
                p.prefix = Pd; p.recent = dw                       // prompt sinks + the last dw tokens
            }
            return p
        case .h2o:
            if kLen < Pd + dw { p.branch = .belowThreshold; return p }
            p.branch = .compress
            p.candidates = 0..<(kLen - dr); p.k = Pd + dw - dr; p.recent = dr
            return p
        case .pyramidInfer:
            let b = PyramidBudget.decoding(Pd: Pd, dw: dw, dr: dr, layers: layers, layer: layer)
            p.budget = b
            if kLen < Pd + dw { p.branch = .belowThreshold; return p }
            p.candidates = 0..<(kLen - dr); p.recent = dr
            if kLen < 2 * (Pd - dr) + dw {
                p.branch = .uniform; p.k = Pd + dw - dr
            } else {
                p.branch = .pyramid; p.k = Swift.min(b + dw, kLen - dr)
            }
            return p
        case .slide, .adaptive, .discontinuous:
            let dws: Int
            if method == .slide {
                dws = dw
            } else {
                dws = dr + counters.S / (delta * (reference ? layers : 1))
                counters.S += 1
            }
            p.dws = dws
            if kLen < Pd + dws { p.branch = .belowThreshold; return p }
            if method == .discontinuous {
                if reference {
                    if counters.J < delta * layers { counters.J += 1; p.branch = .skip; return p }
                    counters.Jl += 1
                    if counters.Jl == layers { counters.J = 0; counters.Jl = 0 }
                } else {
                    if counters.J < delta { counters.J += 1; p.branch = .skip; return p }
                    counters.J = 0
                }
            }
            p.branch = .compress
            p.prefix = Pd; p.candidates = Pd..<(kLen - dr); p.k = dws - dr; p.recent = dr
            return p
        }
    }
}
