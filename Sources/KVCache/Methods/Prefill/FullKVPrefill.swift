/// FullKV (ALLKV): the prompt is never compressed.
struct FullKVPrefill: PrefillMethod {
    static let info = MethodInfo(name: "fullkv", stage: .prefill, rule: "keep every prompt row", paper: "2412.13649",
                                 parameters: [], statistics: [], aliases: ["allkv"])
    static let referenceClass: ReferenceClass? = ReferenceClass(name: "ALLKV", accepts: PrefillRules.scopeMetrics, hasCounters: true,
                                                                resetsCounters: true, prefixIsPromptLength: true)
    static func rowsAfterPrefill(config: CompressionConfig, layers L: Int, layer: Int, promptLength n: Int) -> Int { n }

    let window: Int
    init(config: CompressionConfig) { window = config.effectiveWindow }
    func plan(n: Int, layer: Int, layers L: Int) -> PrefillPlan { .keepAll }
    func request(for plan: PrefillPlan, n: Int) -> PrefillScoreRequest { PrefillScoreRequest(kind: .none, window: window, promptLength: n) }
    func scores(_ input: PrefillScoring, storageHead s: Int, into out: UnsafeMutablePointer<Float>) throws {}
}
