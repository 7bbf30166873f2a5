import Foundation

/// Stands in for the model when replaying vectors: appends fixed post-RoPE keys (values carry
/// the position in element 0, so gathers of V can be checked) and computes the statistics the
/// cache requests, in float64 rounded to float32 (the reference H2O/PyramidInfer kind goes
/// through the engine's `ScoreKernels.nonCausalColumnSums`).
struct ReplayModel {
    let shape: CacheShape

    /// Appends the prompt rows of one layer (`keys[g][t]`).
    func appendPrompt(_ cache: KVCache, layer l: Int, keys: [[[Double]]]) {
        let n = keys[0].count
        for t in 0..<n {
            for g in 0..<shape.kvHeads { append(cache, layer: l, kvHead: g, key: keys[g][t], position: t) }
        }
    }

    func append(_ cache: KVCache, layer l: Int, kvHead g: Int, key: [Double], position: Int) {
        let k = key.map { Float($0) }
        var v = [Float](repeating: 0, count: shape.headDim)
        v[0] = Float(position)
        cache.layers[l].append(kvHead: g, key: k, value: v, position: Int32(position))
    }

    /// The prefill statistics `request` asks for, from queries `q[h][t]` and keys `k[g][t]`.
    func prefillScores(_ request: PrefillScoreRequest, q: [[[Double]]], k: [[[Double]]]) -> PrefillScores {
        var scores = PrefillScores(request: request, queryHeads: shape.queryHeads)
        let n = request.promptLength, w = request.window, d = shape.headDim
        let scale = 1 / Double(d).squareRoot()
        let r = shape.groupSize
        for h in 0..<shape.queryHeads {
            let keys = k[h / r]
            switch request.kind {
            case .none:
                break
            case .windowProbabilities:
                for i in 0..<w {
                    let row = softmax(query: q[h][n - w + i], keys: keys, visible: n - w + i + 1, scale: scale)
                    let base = scores.windowRowOffset(head: h, row: i)
                    for j in 0..<row.count { scores.windowProbabilities[base + j] = Float(row[j]) }
                }
            case .causalColumnSums:
                var sums = [Double](repeating: 0, count: n)
                for i in 0..<n {
                    let row = softmax(query: q[h][i], keys: keys, visible: i + 1, scale: scale)
                    for j in 0..<row.count { sums[j] += row[j] }
                }
                let base = scores.columnSumOffset(head: h)
                for j in 0..<n { scores.columnSums[base + j] = Float(sums[j]) }
            case .nonCausalColumnSums:
                let qf = q[h].flatMap { $0.map { Float($0) } }
                let kf = keys.flatMap { $0.map { Float($0) } }
                var out = [Float](repeating: 0, count: n)
                qf.withUnsafeBufferPointer { qp in
                    kf.withUnsafeBufferPointer { kp in
                        out.withUnsafeMutableBufferPointer { op in
                            ScoreKernels.nonCausalColumnSums(queries: qp.baseAddress!, queryStride: d, keys: kp.baseAddress!, keyStride: d,
                                                             count: n, headDim: d, window: w, scale: Float(scale), into: op.baseAddress!)
                        }
                    }
                }
                let base = scores.columnSumOffset(head: h)
                for j in 0..<n { scores.columnSums[base + j] = out[j] }
            }
        }
        return scores
    }

    /// `[queryHeads][k_len]` probabilities of the current queries `q[h]` over each head's cached keys.
    func decodeProbabilities(_ cache: KVCache, layer l: Int, q: [[Double]]) -> [Float] {
        let storage = cache.layers[l]
        let kLen = storage.count(0)
        let d = shape.headDim
        let scale = 1 / Double(d).squareRoot()
        var out = [Float](repeating: 0, count: shape.queryHeads * kLen)
        for h in 0..<shape.queryHeads {
            let s = storage.storageHead(forQueryHead: h)
            let keys = storage.keys(s)
            var logits = [Double](repeating: 0, count: kLen)
            for j in 0..<kLen {
                var acc = 0.0
                for t in 0..<d { acc += q[h][t] * Double(keys[j * d + t]) }
                logits[j] = acc * scale
            }
            let m = logits.max() ?? 0
            var total = 0.0
            for j in 0..<kLen { logits[j] = exp(logits[j] - m); total += logits[j] }
            for j in 0..<kLen { out[h * kLen + j] = Float(logits[j] / total) }
        }
        return out
    }

    private func softmax(query: [Double], keys: [[Double]], visible: Int, scale: Double) -> [Double] {
        var logits = [Double](repeating: 0, count: visible)
        for j in 0..<visible {
            var acc = 0.0
            for t in 0..<query.count { acc += query[t] * keys[j][t] }
            logits[j] = acc * scale
        }
        let m = logits.max() ?? 0
        var total = 0.0
        for j in 0..<visible { logits[j] = exp(logits[j] - m); total += logits[j] }
        return logits.map { $0 / total }
    }

    /// Kept positions of every storage head of a layer, in cache order.
    static func kept(_ cache: KVCache, layer l: Int) -> [[Int]] {
        let storage = cache.layers[l]
        return (0..<storage.storageHeads).map { storage.orderedPositions($0) }
    }

    /// Rows whose value does not carry their position (a K/V gather mismatch), as "head:row".
    static func valueMismatches(_ cache: KVCache, layer l: Int) -> [String] {
        let storage = cache.layers[l]
        var bad: [String] = []
        for s in 0..<storage.storageHeads {
            let p = storage.positions(s), v = storage.values(s)
            for row in 0..<storage.count(s) where v[row * storage.headDim] != Float(p[row]) { bad.append("\(s):\(row)") }
        }
        return bad
    }
}
