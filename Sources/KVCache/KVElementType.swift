/// How K and V rows are stored: float32 (default, exact) or IEEE half (halves the cache's memory
/// and the attention bandwidth; values are rounded to nearest-even on append).
public enum KVElementType: String, Sendable, CaseIterable {
    case f32, f16

    /// Bytes per stored element.
    public var byteCount: Int { self == .f32 ? 4 : 2 }
}
