#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Helpers for decoding methods whose scores depend on the rows' order: pooling along the
/// position axis, "the most recent similar row" (R-KV). Rows are stored in any physical order in
/// corrected semantics, so these sort them by position first.
enum RowOrder {
    /// Indices into `rows` sorted by the rows' positions (ascending).
    static func byPosition(_ rows: UnsafeBufferPointer<Int>, positions: UnsafePointer<Int32>) -> [Int] {
        (0..<rows.count).sorted { positions[rows[$0]] < positions[rows[$1]] }
    }

    /// Softmax of `q·k_j / sqrt(d)` of one query over key rows `rows` (physical rows of `keys`,
    /// read as floats into `keyScratch`) visible when `visible(j)`; masked rows get 0.
    static func logits(query q: UnsafePointer<Float>, layer: LayerKV, storageHead s: Int, rows: [Int], scale: Float,
                       keyScratch: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) throws {
        let d = layer.keyWidth
        for (i, r) in rows.enumerated() {
            try layer.readKey(s, row: r, into: keyScratch)
            var dot: Float = 0
            for c in 0..<d { dot += q[c] * keyScratch[c] }
            out[i] = dot * scale
        }
    }

    /// In-place softmax of `x[0..<n]` (float64 sums); an empty range is left alone.
    static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        guard n > 0 else { return }
        var m = -Float.infinity
        for i in 0..<n where x[i] > m { m = x[i] }
        var total: Double = 0
        for i in 0..<n { let e = Double(expf(x[i] - m)); x[i] = Float(e); total += e }
        let inv = 1 / total
        for i in 0..<n { x[i] = Float(Double(x[i]) * inv) }
    }
}
