/// TOVA (arXiv 2401.06104) during decoding: after every step a layer holds at most `Pd + dw` rows;
/// when it holds more, the row the current query attends to least (mean over the group's query
/// heads) is evicted. Nothing is protected: the newest row competes too (the original's rule).
struct TOVADecoding: DecodingMethod {
    static let info = MethodInfo(name: "tova", stage: .decoding,
                                 rule: "when k_len > Pd+dw: keep the top Pd+dw of all rows by the current query's probabilities (mean over the group)",
                                 paper: "2401.06104",
                                 parameters: [MethodParameter("decoding-window", default: "512", "dw: rows allowed beyond the prefill rows Pd")],
                                 statistics: [.currentQueryProbabilities])
    static func validate(_ config: CompressionConfig) throws {
        if config.decodingWindow < 0 { throw KVCacheError.invalidConfig("--decoding-window must not be negative, got \(config.decodingWindow)") }
    }
    static func rowsAfter(kLen: Int, Pd: Int, layer: Int, step t: Int, context c: DecodingContext, state: inout DecodeMemoryState) -> Int {
        Swift.min(kLen, Pd + c.dw)
    }

    let dw: Int
    init(_ context: DecodingContext) { dw = context.dw }
    func plan(layer: Int, kLen: Int, Pd: Int, position: Int, counters: inout ReferenceCounters.Counters) -> DecodePlan {
        var p = DecodePlan(branch: .belowThreshold)
        if kLen <= Pd + dw { return p }
        p.branch = .compress
        p.candidates = 0..<kLen; p.k = Pd + dw
        return p
    }
    func capacityBound(rowsAfterPrefill rows0: Int, Pd: Int, maxNewTokens: Int, stepsDone s0: Int) -> Int? { Swift.max(rows0, Pd + dw) + 1 }
    /// The mean over the group's query heads, whatever `--group-reduce` says (TOVA averages heads).
    func scores(_ input: DecodeScoring, storageHead s: Int, rows: UnsafeBufferPointer<Int>, into out: UnsafeMutablePointer<Float>) throws {
        try currentQueryScores(input, storageHead: s, rows: rows, mode: .mean, into: out)
    }
}
