/// SnapKV-D (kvpress `DecodingPress(SnapKVPress)`, arXiv 2512.12008): SnapKV re-applied during
/// decoding. Every `interval` positions, when the layer holds more than `Pd + dw` rows, the last
/// `w` queries (each at its true position, causal) score every row: probabilities over all rows,
/// mean over the queries, average-pooled along positions, mean over the GQA group. The newest `w`
/// rows are kept, and the best others up to `Pd + dw` rows.
struct SnapKVDecoding: PeriodicWindowMethod {
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
        try PeriodicWindowRule.validate(config, method: info.name, window: window, interval: interval)
    }

    let rule: PeriodicWindowRule, kernel: Int
    /// Validated by `CompressionConfig.validate` before any cache is built.
    init(_ context: DecodingContext) {
        rule = PeriodicWindowRule(context, window: Self.window, interval: Self.interval)
        kernel = context.config.kernel
    }

    func scores(_ input: DecodeScoring, storageHead s: Int, rows: UnsafeBufferPointer<Int>, into out: UnsafeMutablePointer<Float>) throws {
        let n = input.kLen, m = rows.count, d = input.layer.keyWidth, R = input.shape.groupSize
        let positions = input.layer.positions(s)
        var isCandidate = [Int](repeating: -1, count: n)
        for c in 0..<m { isCandidate[rows[c]] = c }
        var sums = [Double](repeating: 0, count: m)
        var p = [Float](repeating: 0, count: n)
        let scale = input.logitScale
        try input.withKeys(storageHead: s, rows: 0..<n) { keys in
            input.forEachRecentQuery(storageHead: s) { qPos, head in
                for r in 0..<R {
                    var visible: [Int] = []
                    for j in 0..<n where positions[j] <= qPos { visible.append(j) }
                    for (v, j) in visible.enumerated() {
                        p[v] = ScoreKernels.dot(head(r), keys + j * d, d) * scale
                    }
                    p.withUnsafeMutableBufferPointer { ScoreKernels.softmax($0.baseAddress!, count: visible.count) }
                    for (v, j) in visible.enumerated() where isCandidate[j] >= 0 { sums[isCandidate[j]] += Double(p[v]) }
                }
            }
        }
        // mean over queries and group heads, then average-pool along positions
        let order = (0..<m).sorted { positions[rows[$0]] < positions[rows[$1]] }
        let norm = Double(Swift.max(1, input.queries.held * R))
        var ordered = order.map { sums[$0] / norm }
        var pooled = [Float](repeating: 0, count: m)
        ordered.withUnsafeMutableBufferPointer { ob in
            pooled.withUnsafeMutableBufferPointer { Pooling1D.apply(ob.baseAddress!, count: m, kernel: kernel, pooling: .avg, out: $0.baseAddress!) }
        }
        for (j, c) in order.enumerated() { out[c] = pooled[j] }
    }
}
