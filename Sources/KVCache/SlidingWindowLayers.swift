/// Sliding-window layers (`CacheShape.layerWindows`, Gemma 3's local layers): the window, not a
/// compression method, bounds their cache.
///
/// After its prefill and after every decoding step such a layer keeps exactly the rows the next
/// query can see besides its own: the `window − 1` newest positions (rows outside are freed, not
/// masked). With the next token's row appended the layer holds the whole window, so decoding
/// attention needs no mask; prefill attention masks by window itself (the prompt is stored whole
/// until `finishPrefill`, as for every layer). Compression methods apply to the other layers only.
extension KVCache {
    /// Whether layer `l` is bounded by a sliding window.
    public func isWindowed(layer l: Int) -> Bool { shape.window(layer: l) != nil }

    /// Frees the rows of windowed layer `l` older than the `window − 1` newest positions.
    func slideWindow(layer l: Int) {
        guard let window = shape.window(layer: l) else { return }
        let storage = layers[l]
        for s in 0..<storage.storageHeads {
            let count = storage.count(s)
            guard count >= window else { continue }
            let pos = storage.positions(s)
            var newest = Int32.min
            for j in 0..<count { newest = Swift.max(newest, pos[j]) }
            let cutoff = newest - Int32(window - 1)
            var evict: [Int] = []
            for j in 0..<count where pos[j] <= cutoff { evict.append(j) }
            storage.remove(s, rows: evict)
        }
    }
}

extension KVCache {
    /// "local" (sliding window) or "global" for each layer.
    public var layerKinds: [String] { (0..<shape.layers).map { isWindowed(layer: $0) ? "local" : "global" } }

    /// One line on the rows of each kind of layer, e.g. "KV rows: 15 local layers (window 512) ≤ 511,
    /// 3 global layers ≤ 4096"; nil when every layer is global.
    public var layerKindSummary: String? {
        guard !shape.layerWindows.isEmpty else { return nil }
        let rows = tokensPerLayer
        let local = (0..<shape.layers).filter { isWindowed(layer: $0) }
        let global = (0..<shape.layers).filter { !isWindowed(layer: $0) }
        let windows = Set(local.compactMap { shape.window(layer: $0) }).sorted().map(String.init).joined(separator: "/")
        return "KV rows: \(local.count) local layers (window \(windows)) ≤ \(local.map { rows[$0] }.max() ?? 0), "
            + "\(global.count) global layers ≤ \(global.map { rows[$0] }.max() ?? 0)"
    }
}
