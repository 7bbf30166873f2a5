/// What the `recentQueries` + `keys` methods (MorphKV, R-KV, SnapKV-D) read from a `DecodeScoring`:
/// key rows as float32 and the held queries of one storage head's GQA group.
extension DecodeScoring {
    /// `1/√d`, the attention logits' scale.
    var logitScale: Float { 1 / Float(layer.keyWidth).squareRoot() }

    /// Key rows `rows` (physical) of storage head `s`, in that order, `layer.keyWidth` floats apart,
    /// in a buffer that lives for the duration of `body`.
    func withKeys<R>(storageHead s: Int, rows: some Collection<Int>, _ body: (UnsafePointer<Float>) throws -> R) throws -> R {
        let d = layer.keyWidth
        let keys = UnsafeMutablePointer<Float>.allocate(capacity: rows.count * d)
        defer { keys.deallocate() }
        for (i, r) in rows.enumerated() { try layer.readKey(s, row: r, into: keys + i * d) }
        return try body(keys)
    }

    /// Calls `body` with each held recent query, oldest first: its position and its heads of storage
    /// head `s`'s group (`head(r)`, `r < shape.groupSize`).
    func forEachRecentQuery(storageHead s: Int, _ body: (_ position: Int32, _ head: (Int) -> UnsafePointer<Float>) -> Void) {
        let R = shape.groupSize, qd = shape.headDim
        for i in 0..<queries.held {
            queries.query(i) { q, position in body(position) { r in q + (s * R + r) * qd } }
        }
    }
}
