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
    /// Corrected semantics: keep this many rows in all instead of `k` candidates (`k` becomes the
    /// total minus the rows outside the candidates, so the kept count does not depend on how many
    /// rows the newest-position cutoff protects).
    var keepTotal: Int? = nil
    /// Corrected semantics: protect the `recent` newest rows by position rank (not every row newer
    /// than `newest − recent`), for methods that also act on non-consecutive prompt rows.
    var recentByRank = false

    /// Whether the plan changes the cache.
    var compresses: Bool { branch == .compress || branch == .uniform || branch == .pyramid }
    /// Whether it needs the current query's probabilities.
    var needsScores: Bool { compresses && k > 0 && (k < candidates.count || ranksCandidates) }
    /// Reference order ranks even a full candidate set (top-k reorders it).
    var ranksCandidates = false
}
