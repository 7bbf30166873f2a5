/// MorphKV (arXiv 2503.00979): a constant-size cache. Once a layer holds `capacity` rows, the
/// newest `w` rows stay and the older ones are ranked by the attention of the last `w` queries:
/// per query and head a softmax over the older rows only, the maximum over the GQA group, then the
/// sum (`sum`) or maximum (`max`) over the queries; the best `capacity − w` stay.
///
/// The reference evicts before the next token attends, using the `w` queries before it; here the
/// same rows are chosen right after the step whose query is the newest of those `w` (attend then
/// evict), so the next token attends exactly the reference's `capacity + 1` rows.
struct MorphKVDecoding: DecodingMethod {
    static let window = MethodParameter("query-window", default: "32", "w: recent queries that score; the newest w rows are kept")
    static let capacity = MethodParameter("capacity", default: "1024", "C: rows per KV head kept (the next token makes C + 1)")
    static let fusion = MethodParameter("fusion", default: "max", "how the w queries' scores combine: max (max_fused) or sum (sum_fused)")
    static let info = MethodInfo(name: "morphkv", stage: .decoding,
                                 rule: "when k_len ≥ C: keep the newest w rows and the top C−w older rows by the last w queries' attention (softmax over older rows, max over the group, max or sum over queries)",
                                 paper: "2503.00979", parameters: [window, capacity, fusion], statistics: [.recentQueries, .keys])
    static func validate(_ config: CompressionConfig) throws {
        let w = try config.intParameter(window), c = try config.intParameter(capacity)
        if w < 1 { throw KVCacheError.invalidConfig("--param query-window must be at least 1, got \(w)") }
        if c <= w { throw KVCacheError.invalidConfig("--param capacity (\(c)) must be larger than query-window (\(w))") }
        let f = config.parameters[fusion.name] ?? fusion.defaultValue
        if f != "max" && f != "sum" { throw KVCacheError.invalidConfig("--param fusion must be max or sum, got \(f)") }
    }
    static func rowsAfter(kLen: Int, Pd: Int, layer: Int, step t: Int, context c: DecodingContext, state: inout DecodeMemoryState) -> Int {
        Swift.min(kLen, (try? c.config.intParameter(capacity)) ?? 1024)
    }

    let w: Int, C: Int, sumFused: Bool
    /// Validated by `CompressionConfig.validate` before any cache is built.
    init(_ context: DecodingContext) {
        let c = context.config
        w = (try? c.intParameter(Self.window)) ?? 32
        C = (try? c.intParameter(Self.capacity)) ?? 1024
        sumFused = c.parameters[Self.fusion.name] == "sum"
    }
    var queryWindow: Int { w }

    func plan(layer: Int, kLen: Int, Pd: Int, position: Int, counters: inout ReferenceCounters.Counters) -> DecodePlan {
        var p = DecodePlan(branch: .belowThreshold)
        if kLen <= C { return p }
        p.branch = .compress
        p.candidates = 0..<kLen; p.recent = w; p.recentByRank = true; p.keepTotal = C; p.k = C
        return p
    }
    func capacityBound(rowsAfterPrefill rows0: Int, Pd: Int, maxNewTokens: Int, stepsDone s0: Int) -> Int? { Swift.max(rows0, C) + 1 }

    func scores(_ input: DecodeScoring, storageHead s: Int, rows: UnsafeBufferPointer<Int>, into out: UnsafeMutablePointer<Float>) throws {
        let m = rows.count, d = input.layer.keyWidth, R = input.shape.groupSize
        var fused = [Float](repeating: 0, count: m)
        var groupMax = fused
        var p = fused
        let scale = input.logitScale
        try input.withKeys(storageHead: s, rows: rows) { keys in
            input.forEachRecentQuery(storageHead: s) { _, head in
                for j in 0..<m { groupMax[j] = 0 }
                for r in 0..<R {
                    for j in 0..<m { p[j] = ScoreKernels.dot(head(r), keys + j * d, d) * scale }
                    p.withUnsafeMutableBufferPointer { ScoreKernels.softmax($0.baseAddress!, count: m) }
                    for j in 0..<m where p[j] > groupMax[j] { groupMax[j] = p[j] }
                }
                for j in 0..<m { fused[j] = sumFused ? fused[j] + groupMax[j] : Swift.max(fused[j], groupMax[j]) }
            }
        }
        for j in 0..<m { out[j] = fused[j] }
    }
}
