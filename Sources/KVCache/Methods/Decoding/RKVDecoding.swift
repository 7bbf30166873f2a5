/// R-KV (arXiv 2505.24133): every `interval` positions, cut the layer to `Pd + dw` rows, ranking
/// the older rows by importance minus redundancy. Importance: the softmax (over the candidates
/// only) of the last `w` queries' logits, max-pooled over the GQA group on raw logits, averaged
/// over the queries, max-pooled along positions. Redundancy: for each row the cosine similarities
/// to all rows (diagonal and its most recent row with similarity > 0.5 zeroed), averaged per
/// column and softmaxed. Score `λ·importance − (1−λ)·redundancy`; the newest `w` rows are kept.
struct RKVDecoding: DecodingMethod {
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
        if config.decodingWindow < 1 { throw KVCacheError.invalidConfig("--decoding-window must be at least 1 for rkv, got \(config.decodingWindow)") }
        try PrefillRules.checkKernel(config)
        if try config.intParameter(window) < 1 { throw KVCacheError.invalidConfig("--param query-window must be at least 1") }
        if try config.intParameter(interval) < 1 { throw KVCacheError.invalidConfig("--interval must be at least 1") }
        let l = try config.doubleParameter(lambda)
        if !(0...1).contains(l) { throw KVCacheError.invalidConfig("--param lambda must lie in [0, 1], got \(l)") }
    }
    static func rowsAfter(kLen: Int, Pd: Int, layer: Int, step t: Int, context c: DecodingContext, state: inout DecodeMemoryState) -> Int {
        let every = (try? c.config.intParameter(interval)) ?? 128
        let w = (try? c.config.intParameter(window)) ?? 8
        // the newest w rows stay even when they exceed the budget
        return (state.promptLength + t) % every == 0 && kLen > Pd + c.dw ? Swift.max(Pd + c.dw, Swift.min(w, kLen)) : kLen
    }

    let dw: Int, w: Int, every: Int, kernel: Int, lambda: Float
    /// Validated by `CompressionConfig.validate` before any cache is built.
    init(_ context: DecodingContext) {
        let c = context.config
        dw = context.dw
        w = (try? c.intParameter(Self.window)) ?? 8
        every = (try? c.intParameter(Self.interval)) ?? 128
        kernel = c.kernel
        lambda = Float((try? c.doubleParameter(Self.lambda)) ?? 0.1)
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
        // every row's unit key, in position order; rank of each physical row
        let all = (0..<n).sorted { positions[$0] < positions[$1] }
        var rank = [Int](repeating: 0, count: n)
        for (i, r) in all.enumerated() { rank[r] = i }
        let keys = UnsafeMutablePointer<Float>.allocate(capacity: n * d), unit = UnsafeMutablePointer<Float>.allocate(capacity: n * d)
        defer { keys.deallocate(); unit.deallocate() }
        for (i, r) in all.enumerated() { try layer.readKey(s, row: r, into: keys + i * d) }
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
        let held = input.queries.held, scale = 1 / Float(d).squareRoot(), qd = input.shape.headDim
        for i in 0..<held {
            input.queries.query(i) { q, _ in
                for (j, c) in candidates.enumerated() {
                    let k = rank[rows[c]] * d
                    var best = -Float.infinity
                    for r in 0..<R {
                        best = Swift.max(best, ScoreKernels.dot(q + (s * R + r) * qd, keys + k, d) * scale)
                    }
                    logits[j] = best
                }
                logits.withUnsafeMutableBufferPointer { ScoreKernels.softmax($0.baseAddress!, count: m) }
                for j in 0..<m { importance[j] += Double(logits[j]) / Double(held) }
            }
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
