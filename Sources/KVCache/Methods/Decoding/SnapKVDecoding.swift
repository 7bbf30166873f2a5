/// SnapKV-D (kvpress `DecodingPress(SnapKVPress)`, arXiv 2512.12008): SnapKV re-applied during
/// decoding. Every `interval` positions, when the layer holds more than `Pd + dw` rows, the last
/// `w` queries (each at its true position, causal) score every row: probabilities over all rows,
/// mean over the queries, average-pooled along positions, mean over the GQA group. The newest `w`
/// rows are kept, and the best others up to `Pd + dw` rows.
struct SnapKVDecoding: DecodingMethod {
    static let window = MethodParameter("query-window", default: "64", "w: recent queries that score; the newest w rows are kept")
    static let interval = MethodParameter("interval", default: "512", "compress when the new token's position is a multiple of this")
    static let kernel = MethodParameter("kernel", default: "7", "average-pooling kernel (odd; kvpress uses 5)")
    static let info = MethodInfo(name: "snapkv-d", stage: .decoding,
                                 rule: "at positions ≡ 0 mod interval, when k_len > Pd+dw: keep Pd+dw rows — the newest w and the top by the last w queries' pooled attention",
                                 paper: "2512.12008",
                                 parameters: [MethodParameter("decoding-window", default: "512", "dw: rows allowed beyond the prefill rows Pd"),
                                              window, kernel, interval],
                                 statistics: [.recentQueries, .keys])
    static func validate(_ config: CompressionConfig) throws {
        if config.decodingWindow < 1 { throw KVCacheError.invalidConfig("--decoding-window must be at least 1 for snapkv-d, got \(config.decodingWindow)") }
        try PrefillRules.checkKernel(config)
        if try config.intParameter(window) < 1 { throw KVCacheError.invalidConfig("--param query-window must be at least 1") }
        if try config.intParameter(interval) < 1 { throw KVCacheError.invalidConfig("--interval must be at least 1") }
    }
    static func rowsAfter(kLen: Int, Pd: Int, layer: Int, step t: Int, context c: DecodingContext, state: inout DecodeMemoryState) -> Int {
        let every = (try? c.config.intParameter(interval)) ?? 512
        let w = (try? c.config.intParameter(window)) ?? 64
        // the newest w rows stay even when they exceed the budget
        return (state.promptLength + t) % every == 0 && kLen > Pd + c.dw ? Swift.max(Pd + c.dw, Swift.min(w, kLen)) : kLen
    }

    let dw: Int, w: Int, every: Int, kernel: Int
    /// Validated by `CompressionConfig.validate` before any cache is built.
    init(_ context: DecodingContext) {
        let c = context.config
        dw = context.dw
        w = (try? c.intParameter(Self.window)) ?? 64
        every = (try? c.intParameter(Self.interval)) ?? 512
        kernel = c.kernel
    }
    var queryWindow: Int { w }

    func plan(layer: Int, kLen: Int, Pd: Int, position: Int, counters: inout ReferenceCounters.Counters) -> DecodePlan {
        var p = DecodePlan(branch: .belowThreshold)
        if position % every != 0 || kLen <= Pd + dw { return p }
        p.branch = .compress
        p.candidates = 0..<kLen; p.recent = w; p.recentByRank = true; p.keepTotal = Pd + dw; p.k = Pd + dw
        return p
    }
    func capacityBound(rowsAfterPrefill rows0: Int, Pd: Int, maxNewTokens: Int, stepsDone s0: Int) -> Int? {
        Swift.max(rows0, Pd + dw) + every
    }

    func scores(_ input: DecodeScoring, storageHead s: Int, rows: UnsafeBufferPointer<Int>, into out: UnsafeMutablePointer<Float>) throws {
        let layer = input.layer, n = input.kLen, m = rows.count, d = layer.keyWidth, R = input.shape.groupSize
        let positions = layer.positions(s)
        let keys = UnsafeMutablePointer<Float>.allocate(capacity: n * d)
        defer { keys.deallocate() }
        for r in 0..<n { try layer.readKey(s, row: r, into: keys + r * d) }
        var isCandidate = [Int](repeating: -1, count: n)
        for c in 0..<m { isCandidate[rows[c]] = c }
        var sums = [Double](repeating: 0, count: m)
        var p = [Float](repeating: 0, count: n)
        let held = input.queries.held, scale = 1 / Float(d).squareRoot(), qd = input.shape.headDim
        for i in 0..<held {
            input.queries.query(i) { q, qPos in
                for r in 0..<R {
                    let qh = q + (s * R + r) * qd
                    var visible: [Int] = []
                    for j in 0..<n where positions[j] <= qPos { visible.append(j) }
                    for (v, j) in visible.enumerated() {
                        p[v] = ScoreKernels.dot(qh, keys + j * d, d) * scale
                    }
                    p.withUnsafeMutableBufferPointer { ScoreKernels.softmax($0.baseAddress!, count: visible.count) }
                    for (v, j) in visible.enumerated() where isCandidate[j] >= 0 { sums[isCandidate[j]] += Double(p[v]) }
                }
            }
        }
        // mean over queries and group heads, then average-pool along positions
        let order = (0..<m).sorted { positions[rows[$0]] < positions[rows[$1]] }
        let norm = Double(Swift.max(1, held * R))
        var ordered = order.map { sums[$0] / norm }
        var pooled = [Float](repeating: 0, count: m)
        ordered.withUnsafeMutableBufferPointer { ob in
            pooled.withUnsafeMutableBufferPointer { Pooling1D.apply(ob.baseAddress!, count: m, kernel: kernel, pooling: .avg, out: $0.baseAddress!) }
        }
        for (j, c) in order.enumerated() { out[c] = pooled[j] }
    }
}
