/// R-KV (arXiv 2505.24133): every `interval` positions, cut the layer to `Pd + dw` rows, ranking
/// the older rows by importance minus redundancy. Importance: the softmax (over the candidates
/// only) of the last `w` queries' logits, max-pooled over the GQA group on raw logits, averaged
/// over the queries, max-pooled along positions. Redundancy: for each row the cosine similarities
/// to all rows (diagonal and its most recent row with similarity > 0.5 zeroed), averaged per
/// column and softmaxed. Score `λ·importance − (1−λ)·redundancy`; the newest `w` rows are kept.
struct RKVDecoding: PeriodicWindowMethod {
    static let window = MethodParameter("query-window", default: "8", "w: recent queries that score; the newest w rows are kept")
    static let lambda = MethodParameter("lambda", default: "0.1", "λ: weight of importance against redundancy (paper 0.1, code 0.07)")
    static let interval = MethodParameter("interval", default: "128", "compress when the new token's position is a multiple of this")
    static let kernel = MethodParameter("kernel", default: "7", "max-pooling kernel of the importance (odd)")
    static let info = MethodInfo(name: "rkv", stage: .decoding,
                                 rule: "at positions ≡ 0 mod interval, when k_len > Pd+dw: keep Pd+dw rows — the newest w and the top by λ·importance − (1−λ)·key redundancy",
                                 paper: "2505.24133",
                                 parameters: [MethodParameter("decoding-window", default: "512", "dw: rows allowed beyond the prefill rows Pd"),
                                              window, kernel, lambda, interval],
                                 statistics: [.recentQueries, .keys])
    static func validate(_ config: CompressionConfig) throws {
        try PeriodicWindowRule.validate(config, method: info.name, window: window, interval: interval)
        let l = try config.doubleParameter(lambda)
        if !(0...1).contains(l) { throw KVCacheError.invalidConfig("--param lambda must lie in [0, 1], got \(l)") }
    }

    let rule: PeriodicWindowRule, kernel: Int, lambda: Float
    /// Validated by `CompressionConfig.validate` before any cache is built.
    init(_ context: DecodingContext) {
        rule = PeriodicWindowRule(context, window: Self.window, interval: Self.interval)
        kernel = context.config.kernel
        lambda = Float((try? context.config.doubleParameter(Self.lambda)) ?? 0.1)
    }

    func scores(_ input: DecodeScoring, storageHead s: Int, rows: UnsafeBufferPointer<Int>, into out: UnsafeMutablePointer<Float>) throws {
        let n = input.kLen, m = rows.count, d = input.layer.keyWidth, R = input.shape.groupSize
        let positions = input.layer.positions(s)
        // every row's unit key, in position order; rank of each physical row
        let all = (0..<n).sorted { positions[$0] < positions[$1] }
        var rank = [Int](repeating: 0, count: n)
        for (i, r) in all.enumerated() { rank[r] = i }
        try input.withKeys(storageHead: s, rows: all) { keys in
            let unit = UnsafeMutablePointer<Float>.allocate(capacity: n * d)
            defer { unit.deallocate() }
            for i in 0..<n {
                var sq: Double = 0
                for c in 0..<d { sq += Double(keys[i * d + c]) * Double(keys[i * d + c]) }
                let inv = 1 / (Float(sq.squareRoot()) + 1e-8)
                for c in 0..<d { unit[i * d + c] = keys[i * d + c] * inv }
            }
            // importance of the candidates, in position order
            let candidates = (0..<m).sorted { rank[rows[$0]] < rank[rows[$1]] }
            var importance = [Double](repeating: 0, count: m)
            var logits = [Float](repeating: 0, count: m)
            let held = input.queries.held, scale = input.logitScale
            input.forEachRecentQuery(storageHead: s) { _, head in
                for (j, c) in candidates.enumerated() {
                    let k = rank[rows[c]] * d
                    var best = -Float.infinity
                    for r in 0..<R { best = Swift.max(best, ScoreKernels.dot(head(r), keys + k, d) * scale) }
                    logits[j] = best
                }
                logits.withUnsafeMutableBufferPointer { ScoreKernels.softmax($0.baseAddress!, count: m) }
                for j in 0..<m { importance[j] += Double(logits[j]) / Double(held) }
            }
            var pooled = [Float](repeating: 0, count: m)
            importance.withUnsafeBufferPointer { ib in
                pooled.withUnsafeMutableBufferPointer { Pooling1D.apply(ib.baseAddress!, count: m, kernel: kernel, pooling: .max, out: $0.baseAddress!) }
            }
            // redundancy of every row (column means of the thinned cosine matrix, softmaxed)
            var column = [Double](repeating: 0, count: n)
            var row = [Float](repeating: 0, count: n)
            for i in 0..<n {
                var last = 0
                for j in 0..<n {
                    let dot = j == i ? 0 : ScoreKernels.dot(unit + i * d, unit + j * d, d)
                    row[j] = dot
                    if dot > 0.5 { last = j }
                }
                row[last] = 0
                for j in 0..<n { column[j] += Double(row[j]) }
            }
            var redundancy = column.map { Float($0 / Double(n)) }
            redundancy.withUnsafeMutableBufferPointer { ScoreKernels.softmax($0.baseAddress!, count: n) }
            for (j, c) in candidates.enumerated() {
                out[c] = lambda * pooled[j] - (1 - lambda) * redundancy[rank[rows[c]]]
            }
        }
    }
}
