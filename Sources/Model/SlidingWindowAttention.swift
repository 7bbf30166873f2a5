import Kernels
import KVCache

extension LlamaModel {
    /// Prefill attention of a sliding-window layer (Gemma 3's local layers): the prompt token at
    /// position p sees the stored rows with `p − window < position ≤ p`.
    ///
    /// At prefill the layer holds the prompt rows in position order, so each token's window is one
    /// contiguous row range (found by binary search). Tasks of (storage head, token) stream that
    /// range once for every query head of the group; no statistics are computed (compression
    /// methods do not apply to windowed layers, whose cache the window bounds).
    func windowedPrefillAttention(layer: LayerKV, window: Int, q: UnsafeMutablePointer<Float>, queries: Range<Int>,
                                  positions: [Int32], out: UnsafeMutablePointer<Float>) {
        let n = queries.count
        let H = config.headCount, d = config.headDim
        let scale = 1 / Float(d).squareRoot()
        let groups = layer.queryHeads(headCount: H)
        let S = layer.storageHeads
        pool.parallelFor(S * n) { item in
            let sh = item % S, i = n - 1 - item / S
            let p = positions[queries.lowerBound + i]
            let pos = layer.positions(sh), count = layer.count(sh)
            let range = firstIndex(in: pos, count: count, after: p - Int32(window))..<firstIndex(in: pos, count: count, after: p)
            let heads = groups[sh]
            let rows = heads.map { (UnsafePointer(q + (i * H + $0) * d), p) }
            let scratch = StreamingScratch(rows: rows.count, headDim: d, layer: layer)
            defer { scratch.free() }
            scratch.stream(layer, head: sh, range: range, headDim: d, scale: scale, rows: rows)
            for (r, h) in heads.enumerated() {
                AttentionKernel.merge(maxima: scratch.maxima + r, sums: scratch.sums + r, outs: scratch.outs + r * d,
                                      parts: 1, headDim: d, into: out + (i * H + h) * d)
            }
        }
    }
}

/// The first index of the ascending `positions` whose value is greater than `value`.
private func firstIndex(in positions: UnsafePointer<Int32>, count: Int, after value: Int32) -> Int {
    var lo = 0, hi = count
    while lo < hi {
        let mid = (lo + hi) / 2
        if positions[mid] > value { hi = mid } else { lo = mid + 1 }
    }
    return lo
}
