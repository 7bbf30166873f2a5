/// Every compression method, listed once. Adding a method = its file + one line here.
public enum MethodRegistry {
    static var prefill: [any PrefillMethod.Type] { [
        FullKVPrefill.self,
        StreamingLLMPrefill.self,
        H2OPrefill.self,
        SnapKVPrefill.self,
        PyramidKVPrefill.self,
        PyramidInferPrefill.self,
        KnormPrefill.self,
        TOVAPrefill.self,
    ] }

    static var decoding: [any DecodingMethod.Type] { [
        NoDecoding.self,
        H2ODecoding.self,
        SLMDecoding.self,
        PyramidInferDecoding.self,
        SlideDecoding.self,
        AdaptiveDecoding.self,
        DiscontinuousDecoding.self,
        TOVADecoding.self,
        RKVDecoding.self,
        SnapKVDecoding.self,
        MorphKVDecoding.self,
    ] }

    /// Every method's description, prefill methods first (registry order).
    public static var all: [MethodInfo] { prefill.map { $0.info } + decoding.map { $0.info } }
    public static var prefillNames: [String] { prefill.map { $0.info.name } }
    public static var decodingNames: [String] { decoding.map { $0.info.name } }

    static func prefillType(named name: String) -> (any PrefillMethod.Type)? { prefill.first { $0.info.name == name } }
    static func decodingType(named name: String) -> (any DecodingMethod.Type)? { decoding.first { $0.info.name == name } }
}
