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
    /// `scores` with the statistics the cache's prefill method asked for.
    func prefillAttention(layer: LayerKV, q: UnsafeMutablePointer<Float>, k: UnsafePointer<Float>, positions: [Int32],
                          out: UnsafeMutablePointer<Float>, request: PrefillScoreRequest, scores: inout PrefillScores) {
        let n = positions.count
        let H = config.headCount, G = config.headCountKV, d = config.headDim
        let scale = 1 / Float(d).squareRoot()
        let window = request.kind == .windowProbabilities ? request.window : 0
        let wantsColumnSums = request.kind == .causalColumnSums
        let windowRows = scores.windowProbabilities.withUnsafeMutableBufferPointer { $0.baseAddress }
        let columnSums = scores.columnSums.withUnsafeMutableBufferPointer { $0.baseAddress }
        let s = scores
        // Column sums accumulate over queries, so a head is owned by one task; otherwise split queries too.
        let queryChunk = wantsColumnSums ? n : 64
        let chunks = (n + queryChunk - 1) / queryChunk
        pool.parallelFor(H * chunks) { item in
            let h = item / chunks, c = item % chunks
            let sh = layer.storageHead(forQueryHead: h)
            let count = layer.count(sh)
            let probs = UnsafeMutablePointer<Float>.allocate(capacity: count)
            defer { probs.deallocate() }
            let keys = layer.keys(sh), values = layer.values(sh), pos = layer.positions(sh)
            for t in (c * queryChunk)..<min(n, (c + 1) * queryChunk) {
                attend(query: q + (t * H + h) * d, position: positions[t], keys: keys, values: values, positions: pos,
                       count: count, headDim: d, scale: scale, probs: probs, out: out + (t * H + h) * d)
                if window > 0, t >= n - window, let windowRows {
                    (windowRows + s.windowRowOffset(head: h, row: t - (n - window))).update(from: probs, count: min(count, n))
                }
                if wantsColumnSums, let columnSums {
                    let sums = columnSums + s.columnSumOffset(head: h)
                    for j in 0..<min(count, n) { sums[j] += probs[j] }
                }
            }
        }
        if request.kind == .nonCausalColumnSums, let columnSums {
            // The reference's H2O/PyramidInfer score (rows before the window see future keys): a second pass.
            pool.parallelFor(H) { h in
                ScoreKernels.nonCausalColumnSums(queries: q + h * d, queryStride: H * d, keys: k + (h / (H / G)) * d, keyStride: G * d,
                                                 count: n, headDim: d, window: request.window, scale: scale,
                                                 into: columnSums + s.columnSumOffset(head: h))
            }
        }
    }

    /// Decode attention of one new query per head over the layer's cache; when `probabilities` is
    /// given (`[H][count]`), each query head's probability row is written there.
    func decodeAttention(layer: LayerKV, q: UnsafeMutablePointer<Float>, position: Int32, out: UnsafeMutablePointer<Float>,
                         probabilities: UnsafeMutablePointer<Float>?) {
        let H = config.headCount, d = config.headDim
        let scale = 1 / Float(d).squareRoot()
        pool.parallelFor(H) { h in
            let sh = layer.storageHead(forQueryHead: h)
            let count = layer.count(sh)
            let probs = probabilities.map { $0 + h * count } ?? UnsafeMutablePointer<Float>.allocate(capacity: count)
            defer { if probabilities == nil { probs.deallocate() } }
            attend(query: q + h * d, position: position, keys: layer.keys(sh), values: layer.values(sh),
                   positions: layer.positions(sh), count: count, headDim: d, scale: scale, probs: probs, out: out + h * d)
        }
    }
}
