/// Errors of the KV-cache module. Every message names the offending field or rule.
public enum KVCacheError: Error, CustomStringConvertible, Equatable {
    /// A `CacheShape` dimension is invalid.
    case invalidShape(String)
    /// A `CompressionConfig` value or combination is invalid.
    case invalidConfig(String)
    /// The reference implementation would raise at this point (e.g. `topk(k)` with too few candidates).
    case referenceRaises(String)
    /// The model side broke the protocol (wrong score sizes, calls out of order, ...).
    case protocolViolation(String)

    public var description: String {
        switch self {
        case .invalidShape(let m): return "invalid cache shape: \(m)"
        case .invalidConfig(let m): return "invalid compression config: \(m)"
        case .referenceRaises(let m): return "the reference implementation raises here: \(m)"
        case .protocolViolation(let m): return "KV-cache protocol violation: \(m)"
        }
    }
}
