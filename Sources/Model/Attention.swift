import Foundation
import Kernels
import KVCache

/// Scaled dot-product attention of one query over the stored rows of one cache head.
///
/// Rows whose stored position is after the query's position are masked, so masks always come from
/// the positions in the cache, never from a counter. `probs` receives the softmax probabilities of
/// every stored row (0 for masked rows): this is what compression policies observe.
@inline(__always)
func attend(query q: UnsafePointer<Float>, position: Int32,
            keys: UnsafePointer<Float>, values: UnsafePointer<Float>, positions: UnsafePointer<Int32>, count: Int,
            headDim d: Int, scale: Float,
            probs: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
    var m = -Float.infinity
    for j in 0..<count {
        if positions[j] <= position {
            let s = RowDot.dotF32(q, keys + j * d, d) * scale
            probs[j] = s
            if s > m { m = s }
        } else {
            probs[j] = -.infinity
        }
    }
    var sum: Float = 0
    for j in 0..<count {
        let e = expf(probs[j] - m)
        probs[j] = e
        sum += e
    }
    let inv = 1 / sum
    out.update(repeating: 0, count: d)
    for j in 0..<count {
        let p = probs[j] * inv
        probs[j] = p
        if p != 0 { Ops.axpy(p, values + j * d, out, n: d) }
    }
}

extension LlamaModel {
    /// Prefill attention of one layer over the whole prompt (already appended to `layer`), filling
    /// `scores` with what the cache's policy asked for.
    func prefillAttention(layer: LayerKV, q: UnsafeMutablePointer<Float>, positions: [Int32], out: UnsafeMutablePointer<Float>,
                          request: PrefillScoreRequest, scores: PrefillScores) {
        let n = positions.count
        let H = config.headCount, d = config.headDim
        let scale = 1 / Float(d).squareRoot()
        let window = request.windowRows
        let wantsColumnSums = request.causalColumnSums
        // Column sums accumulate over queries, so a head is owned by one task; otherwise split queries too.
        let queryChunk = wantsColumnSums ? n : 64
        let chunks = (n + queryChunk - 1) / queryChunk
        pool.parallelFor(H * chunks) { item in
            let h = item / chunks, c = item % chunks
            let s = layer.storageHead(forQueryHead: h)
            let count = layer.count(s)
            let probs = UnsafeMutablePointer<Float>.allocate(capacity: count)
            defer { probs.deallocate() }
            let keys = layer.keys(s), values = layer.values(s), pos = layer.positions(s)
            for t in (c * queryChunk)..<min(n, (c + 1) * queryChunk) {
                attend(query: q + (t * H + h) * d, position: positions[t], keys: keys, values: values, positions: pos,
                       count: count, headDim: d, scale: scale, probs: probs, out: out + (t * H + h) * d)
                if window > 0, t >= n - window {
                    scores.windowRow(head: h, row: t - (n - window)).update(from: probs, count: min(count, n))
                }
                if wantsColumnSums {
                    let sums = scores.columnSums(head: h)
                    for j in 0..<min(count, n) { sums[j] += probs[j] }
                }
            }
        }
    }

    /// Decode attention of one new query per head over the layer's cache; when `probabilities` is
    /// given, each query head's probability row is copied there (`[H][count]`).
    func decodeAttention(layer: LayerKV, q: UnsafeMutablePointer<Float>, position: Int32, out: UnsafeMutablePointer<Float>,
                         probabilities: DecodeProbabilities?) {
        let H = config.headCount, d = config.headDim
        let scale = 1 / Float(d).squareRoot()
        pool.parallelFor(H) { h in
            let s = layer.storageHead(forQueryHead: h)
            let count = layer.count(s)
            let probs = probabilities?.row(head: h, count: count) ?? UnsafeMutablePointer<Float>.allocate(capacity: count)
            defer { if probabilities == nil { probs.deallocate() } }
            attend(query: q + h * d, position: position, keys: layer.keys(s), values: layer.values(s),
                   positions: layer.positions(s), count: count, headDim: d, scale: scale, probs: probs, out: out + h * d)
        }
    }
}
