/// The attention geometry of a model, as far as the KV cache is concerned.
public struct CacheShape: Sendable, Equatable {
    /// Number of decoder layers (`L`).
    public var layers: Int
    /// Query heads per layer (`H`).
    public var queryHeads: Int
    /// Key/value heads per layer (`G`); `queryHeads` must be a multiple of it.
    public var kvHeads: Int
    /// Dimension of one head (`d`).
    public var headDim: Int
    /// Sliding window of each layer (nil: global attention); empty when every layer is global.
    /// A windowed layer keeps only the rows its next query can see (`SlidingWindowLayers.swift`).
    public var layerWindows: [Int?]

    public init(layers: Int, queryHeads: Int, kvHeads: Int, headDim: Int, layerWindows: [Int?] = []) {
        self.layers = layers
        self.queryHeads = queryHeads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.layerWindows = layerWindows.allSatisfy { $0 == nil } ? [] : layerWindows
    }

    /// The sliding window of layer `l`, nil when it attends globally.
    public func window(layer l: Int) -> Int? { layerWindows.isEmpty ? nil : layerWindows[l] }

    /// Query heads per KV head (`R = H / G`).
    public var groupSize: Int { queryHeads / max(kvHeads, 1) }

    /// Throws when a dimension is not positive or `queryHeads` is not a multiple of `kvHeads`.
    public func validate() throws {
        for (name, value) in [("layers", layers), ("queryHeads", queryHeads), ("kvHeads", kvHeads), ("headDim", headDim)]
        where value <= 0 {
            throw KVCacheError.invalidShape("\(name) must be positive, got \(value)")
        }
        if !layerWindows.isEmpty && layerWindows.count != layers {
            throw KVCacheError.invalidShape("layerWindows has \(layerWindows.count) entries for \(layers) layers")
        }
        if let w = layerWindows.compactMap({ $0 }).first(where: { $0 < 2 }) {
            throw KVCacheError.invalidShape("a sliding window must hold at least 2 tokens, got \(w)")
        }
        if queryHeads % kvHeads != 0 {
            throw KVCacheError.invalidShape("queryHeads (\(queryHeads)) is not a multiple of kvHeads (\(kvHeads))")
        }
    }
}
