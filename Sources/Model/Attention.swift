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
    /// Prefill attention of the queries `queries` (a chunk of the prompt, `q` holds their rows)
    /// over the layer's stored prompt rows, accumulating into `scores` what the cache's prefill
    /// method asked for: the probability rows of the last `w` queries, or causal column sums.
    func prefillAttention(layer: LayerKV, layerIndex: Int, q: UnsafeMutablePointer<Float>, queries: Range<Int>, positions: [Int32],
                          out: UnsafeMutablePointer<Float>, request: PrefillScoreRequest, scores: inout PrefillScores) {
        let n = positions.count
        let H = config.headCount, d = config.headDim
        let scale = 1 / Float(d).squareRoot()
        let window = request.kind == .windowProbabilities ? request.window : 0
        let wantsColumnSums = request.kind == .causalColumnSums
        let windowRows = scores.windowProbabilities.withUnsafeMutableBufferPointer { $0.baseAddress }
        let columnSums = scores.columnSums.withUnsafeMutableBufferPointer { $0.baseAddress }
        let s = scores
        let observer = self.observer
        // Column sums accumulate over queries, so a head is owned by one task; otherwise split queries too.
        let block = wantsColumnSums ? queries.count : 32
        let blocks = (queries.count + block - 1) / block
        pool.parallelFor(H * blocks) { item in
            let h = item / blocks, b = item % blocks
            let sh = layer.storageHead(forQueryHead: h)
            let count = layer.count(sh)
            let probs = UnsafeMutablePointer<Float>.allocate(capacity: count)
            defer { probs.deallocate() }
            let keys = layer.keys(sh), values = layer.values(sh), pos = layer.positions(sh)
            for i in (b * block)..<min(queries.count, (b + 1) * block) {
                let t = queries.lowerBound + i
                attend(query: q + (i * H + h) * d, position: positions[t], keys: keys, values: values, positions: pos,
                       count: count, headDim: d, scale: scale, probs: probs, out: out + (i * H + h) * d)
                if let observer, observer.observes(layer: layerIndex, queryPosition: positions[t]) {
                    observer.observe(layer: layerIndex, head: h, queryPosition: positions[t],
                                     probabilities: UnsafeBufferPointer(start: probs, count: count),
                                     keyPositions: UnsafeBufferPointer(start: pos, count: count))
                }
                if window > 0, t >= n - window, let windowRows {
                    (windowRows + s.windowRowOffset(head: h, row: t - (n - window))).update(from: probs, count: min(count, n))
                }
                if wantsColumnSums, let columnSums {
                    let sums = columnSums + s.columnSumOffset(head: h)
                    for j in 0..<min(count, n) { sums[j] += probs[j] }
                }
            }
        }
    }

    /// The reference H2O/PyramidInfer prefill score (rows before the window see future keys): a
    /// second pass over all `n` queries (`q`, `[n][H][d]`) and the layer's stored prompt keys.
    func nonCausalColumnSums(layer: LayerKV, q: UnsafePointer<Float>, n: Int, window: Int, scores: inout PrefillScores) {
        let H = config.headCount, d = config.headDim
        let scale = 1 / Float(d).squareRoot()
        guard let columnSums = scores.columnSums.withUnsafeMutableBufferPointer({ $0.baseAddress }) else { return }
        let s = scores
        pool.parallelFor(H) { h in
            let sh = layer.storageHead(forQueryHead: h)
            ScoreKernels.nonCausalColumnSums(queries: q + h * d, queryStride: H * d, keys: layer.keys(sh), keyStride: d,
                                             count: n, headDim: d, window: window, scale: scale,
                                             into: columnSums + s.columnSumOffset(head: h))
        }
    }

    /// Decode attention of one new query per head over the layer's cache; when `probabilities` is
    /// given (`[H][count]`), each query head's probability row is written there.
    func decodeAttention(layer: LayerKV, layerIndex: Int, q: UnsafeMutablePointer<Float>, position: Int32, out: UnsafeMutablePointer<Float>,
                         probabilities: UnsafeMutablePointer<Float>?) {
        let H = config.headCount, d = config.headDim
        let scale = 1 / Float(d).squareRoot()
        let observer = self.observer
        pool.parallelFor(H) { h in
            let sh = layer.storageHead(forQueryHead: h)
            let count = layer.count(sh)
            let probs = probabilities.map { $0 + h * count } ?? UnsafeMutablePointer<Float>.allocate(capacity: count)
            defer { if probabilities == nil { probs.deallocate() } }
            attend(query: q + h * d, position: position, keys: layer.keys(sh), values: layer.values(sh),
                   positions: layer.positions(sh), count: count, headDim: d, scale: scale, probs: probs, out: out + h * d)
            if let observer, observer.observes(layer: layerIndex, queryPosition: position) {
                observer.observe(layer: layerIndex, head: h, queryPosition: position,
                                 probabilities: UnsafeBufferPointer(start: probs, count: count),
                                 keyPositions: UnsafeBufferPointer(start: layer.positions(sh), count: count))
            }
        }
    }
}
