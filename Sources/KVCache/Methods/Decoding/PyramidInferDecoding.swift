/// PyramidInfer's decoding rule: like `h2o`, with a per-layer pyramid budget once the cache is large.
struct PyramidInferDecoding: DecodingMethod {
    static let info = MethodInfo(name: "pyramidinfer", stage: .decoding,
                                 rule: "when k_len ≥ Pd+dw: top Pd+dw−dr (or the layer's pyramid budget b'_l+dw) of older rows, plus the newest dr",
                                 paper: "2405.12532", parameters: [.decodingWindow, .recent], statistics: [.currentQueryProbabilities])
    static func rowsAfter(kLen: Int, Pd: Int, layer l: Int, step t: Int, context c: DecodingContext, state: inout DecodeMemoryState) -> Int {
        let dw = c.dw, dr = c.dr
        if kLen < Pd + dw { return kLen }
        if kLen < 2 * (Pd - dr) + dw { return Pd + dw }
        let x = Pd + dw - dr
        let minNum = PyramidBudget.floorDiv(x, 2), maxNum = 2 * x - minNum
        let b = maxNum - l * PyramidBudget.floorDiv(maxNum - minNum, c.layers)
        return Swift.min(b + dw, kLen - dr) + dr
    }

    let dw: Int, dr: Int, layers: Int
    init(_ context: DecodingContext) { dw = context.dw; dr = context.dr; layers = context.layers }
    func plan(layer: Int, kLen: Int, Pd: Int, position: Int, counters: inout ReferenceCounters.Counters) -> DecodePlan {
        var p = DecodePlan(branch: .belowThreshold)
        let b = PyramidBudget.decoding(Pd: Pd, dw: dw, dr: dr, layers: layers, layer: layer)
        p.budget = b
        if kLen < Pd + dw { return p }
        p.candidates = 0..<(kLen - dr); p.recent = dr
        if kLen < 2 * (Pd - dr) + dw {
            p.branch = .uniform; p.k = Pd + dw - dr
        } else {
            p.branch = .pyramid; p.k = Swift.min(b + dw, kLen - dr)
        }
        return p
    }
    func capacityBound(rowsAfterPrefill rows0: Int, Pd: Int, maxNewTokens: Int, stepsDone s0: Int) -> Int? { Swift.max(rows0, Pd + dw) + 1 }
}
