/// No decoding-phase compression: every generated token's row stays.
struct NoDecoding: DecodingMethod {
    static let info = MethodInfo(name: "none", stage: .decoding, rule: "keep every generated row", paper: "2412.13649",
                                 parameters: [], statistics: [])
    static func validate(_ config: CompressionConfig) throws {}
    static func rowsAfter(kLen: Int, Pd: Int, layer: Int, step t: Int, context: DecodingContext, state: inout DecodeMemoryState) -> Int { kLen }

    init(_ context: DecodingContext) {}
    func plan(layer: Int, kLen: Int, Pd: Int, position: Int, counters: inout ReferenceCounters.Counters) -> DecodePlan { DecodePlan(branch: .none) }
    func capacityBound(rowsAfterPrefill rows0: Int, Pd: Int, maxNewTokens: Int, stepsDone s0: Int) -> Int? { nil }
}
