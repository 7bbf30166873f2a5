import Kernels
import KVCache

/// Prefill attention of one chunk of prompt queries over one layer's stored prompt rows, with the
/// statistics the layer's prefill method asked for (`PrefillScoreRequest`):
/// - rows whose normalised probabilities are needed as rows (the last `w` queries for
///   SnapKV/PyramidKV, rows an observer watches) run the two-pass attention (`attend`);
/// - every other row streams (flash attention, no `n × n` buffer). For causal column sums
///   (H2O/PyramidInfer) a score-only second pass over each streamed row's visible keys adds
///   `e^(s − m) / l`, with the row's final maximum `m` and sum `l` from the stream, to the column
///   sums: the two-pass probabilities up to the summation order of `l`.
struct PrefillAttention {
    let pool: ThreadPool
    let headCount: Int
    let headDim: Int
    let layerIndex: Int
    let observer: AttentionObserver?

    var scale: Float { 1 / Float(headDim).squareRoot() }

    /// Attention of the prompt tokens `queries` (a chunk; their query rows are `q`,
    /// `[queries.count][H][d]`, and `out` has the same layout), `positions` holding every prompt
    /// token's position; adds the chunk's statistics to `scores`.
    func run(layer: LayerKV, q: UnsafePointer<Float>, queries: Range<Int>, positions: [Int32], out: UnsafeMutablePointer<Float>,
             request: PrefillScoreRequest, scores: inout PrefillScores) {
        let n = positions.count
        let window = request.kind == .windowProbabilities ? request.window : 0
        let chunkPositions = Array(positions[queries])
        var exact: [Int] = [], streamed: [Int] = []
        for (i, p) in chunkPositions.enumerated() {
            let observed = observer?.observes(layer: layerIndex, queryPosition: p) ?? false
            if observed || queries.lowerBound + i >= n - window { exact.append(i) } else { streamed.append(i) }
        }
        let wantsColumnSums = request.kind == .causalColumnSums
        scores.withRows { rows in
            if !streamed.isEmpty {
                let statistics = wantsColumnSums ? RowStatistics(rows: streamed.count, heads: headCount) : nil
                defer { statistics?.free() }
                stream(layer: layer, q: q, rows: streamed, positions: chunkPositions, out: out, statistics: statistics)
                if let statistics {
                    addColumnSums(layer: layer, q: q, rows: streamed, positions: chunkPositions, statistics: statistics, into: rows)
                }
            }
            if !exact.isEmpty {
                twoPass(layer: layer, q: q, rows: exact, positions: chunkPositions, firstToken: queries.lowerBound,
                        promptLength: n, window: window, columnSums: wantsColumnSums, out: out, into: rows)
            }
        }
    }

    /// Streaming attention of the chunk rows `rows` (indices into `q`/`out`/`positions`); with
    /// `statistics`, each (row, query head)'s final maximum and sum are written there.
    ///
    /// Tasks of (storage head, tile of 16 rows) stream the head's keys block by block through
    /// every query head of the group, so each key block is read once per tile and no `n × n`
    /// buffer exists. Largest (latest) tiles are claimed first.
    func stream(layer: LayerKV, q: UnsafePointer<Float>, rows: [Int], positions: [Int32], out: UnsafeMutablePointer<Float>,
                statistics: RowStatistics?) {
        let H = headCount, d = headDim, scale = self.scale
        let groups = layer.queryHeads(headCount: H)
        let tile = 16
        let tiles = (rows.count + tile - 1) / tile
        let S = layer.storageHeads
        pool.parallelFor(S * tiles) { item in
            let sh = item % S, tileIndex = tiles - 1 - item / S
            let heads = groups[sh]
            let tileRows = (tileIndex * tile)..<min(rows.count, (tileIndex + 1) * tile)
            var states: [(UnsafePointer<Float>, Int32)] = []
            for k in tileRows {
                for h in heads { states.append((q + (rows[k] * H + h) * d, positions[rows[k]])) }
            }
            let scratch = StreamingScratch(rows: states.count, headDim: d, layer: layer)
            defer { scratch.free() }
            scratch.stream(layer, head: sh, range: 0..<layer.count(sh), headDim: d, scale: scale, rows: states)
            var r = 0
            for k in tileRows {
                for h in heads {
                    AttentionKernel.merge(maxima: scratch.maxima + r, sums: scratch.sums + r, outs: scratch.outs + r * d,
                                          parts: 1, headDim: d, into: out + (rows[k] * H + h) * d)
                    statistics?.record(row: k, head: h, maximum: scratch.maxima[r], sum: scratch.sums[r])
                    r += 1
                }
            }
        }
    }

    /// Adds the causal probabilities `e^(s − m) / l` of the streamed `rows` (their maxima and sums
    /// in `statistics`, by position in `rows`) to each query head's column sums. Tasks of (query
    /// head, key range) own disjoint columns; each adds the rows in order, skipping key blocks
    /// wholly after a row's position.
    func addColumnSums(layer: LayerKV, q: UnsafePointer<Float>, rows: [Int], positions: [Int32], statistics: RowStatistics,
                       into scores: PrefillScoreRows) {
        let H = headCount, d = headDim, scale = self.scale
        let b = AttentionKernel.blockSize
        let parts = max(1, min(4, layer.maxCount / 256))
        let lastPosition = rows.map { positions[$0] }.max() ?? .min
        pool.parallelFor(H * parts) { item in
            let h = item % H, part = item / H
            let kv = HeadKV(layer, head: layer.storageHead(forQueryHead: h), headDim: d)
            let p = UnsafeMutablePointer<Float>.allocate(capacity: b)
            defer { kv.release(); p.deallocate() }
            let sums = scores.columnSums(head: h)
            // Keys after `visible` are masked for every row; split the rest into whole blocks.
            var visible = min(kv.count, sums.count)
            while visible > 0 && kv.positions[visible - 1] > lastPosition { visible -= 1 }
            let per = ((visible + parts - 1) / parts + b - 1) / b * b
            let range = min(visible, part * per)..<min(visible, (part + 1) * per)
            for (k, i) in rows.enumerated() {
                let (m, l) = statistics.state(row: k, head: h)
                guard l > 0 else { continue }
                let inv = 1 / l
                let query = q + (i * H + h) * d, position = positions[i]
                var start = range.lowerBound
                while start < range.upperBound {
                    let c = min(b, range.upperBound - start)
                    if (start..<(start + c)).contains(where: { kv.positions[$0] <= position }) {
                        _ = kv.maskedScores(query: query, position: position, rows: start..<(start + c), headDim: d, scale: scale, into: p)
                        _ = VectorMath.expShifted(p, n: c, shift: m)
                        for j in 0..<c { sums[start + j] += p[j] * inv }
                    }
                    start += c
                }
            }
        }
    }

    /// Two-pass attention of the chunk rows `rows`: each row's normalised probabilities go to the
    /// observer (when it watches the row), to the window rows (the last `window` prompt tokens)
    /// and, with `columnSums`, to the column sums.
    func twoPass(layer: LayerKV, q: UnsafePointer<Float>, rows: [Int], positions: [Int32], firstToken: Int, promptLength n: Int,
                 window: Int, columnSums: Bool, out: UnsafeMutablePointer<Float>, into scores: PrefillScoreRows) {
        let H = headCount, d = headDim, scale = self.scale
        let observer = self.observer, layerIndex = self.layerIndex
        // Column sums accumulate over rows, so a head is owned by one task; otherwise split rows too.
        let block = columnSums ? rows.count : 32
        let blocks = (rows.count + block - 1) / block
        pool.parallelFor(H * blocks) { item in
            let h = item / blocks, b = item % blocks
            let sh = layer.storageHead(forQueryHead: h)
            let count = layer.count(sh)
            let probs = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
            let kv = HeadKV(layer, head: sh, headDim: d)
            defer { probs.deallocate(); kv.release() }
            for i in rows[(b * block)..<min(rows.count, (b + 1) * block)] {
                let t = firstToken + i, position = positions[i]
                attend(query: q + (i * H + h) * d, position: position, head: kv, headDim: d, scale: scale,
                       probs: probs, out: out + (i * H + h) * d)
                if let observer, observer.observes(layer: layerIndex, queryPosition: position) {
                    observer.observe(layer: layerIndex, head: h, queryPosition: position,
                                     probabilities: UnsafeBufferPointer(start: probs, count: count),
                                     keyPositions: UnsafeBufferPointer(start: kv.positions, count: count))
                }
                if window > 0, t >= n - window {
                    let row = scores.windowRow(head: h, row: t - (n - window))
                    for j in 0..<min(count, n) { row[j] = probs[j] }
                }
                if columnSums {
                    let sums = scores.columnSums(head: h)
                    for j in 0..<min(count, n) { sums[j] += probs[j] }
                }
            }
        }
    }

    /// The reference H2O/PyramidInfer prefill score (rows before the window see future keys): a
    /// second pass over all `n` queries (`q`, `[n][H][d]`) and the layer's stored prompt keys.
    func nonCausalColumnSums(layer: LayerKV, q: UnsafePointer<Float>, n: Int, window: Int, scores: inout PrefillScores) {
        let H = headCount, d = headDim, scale = self.scale
        scores.withRows { rows in
            pool.parallelFor(H) { h in
                let sh = layer.storageHead(forQueryHead: h)
                let kv = FloatKV(layer, head: sh, count: layer.count(sh), headDim: d)
                defer { kv.release() }
                guard let sums = rows.columnSums(head: h).baseAddress else { return }
                ScoreKernels.nonCausalColumnSums(queries: q + h * d, queryStride: H * d, keys: kv.keys, keyStride: d,
                                                 count: n, headDim: d, window: window, scale: scale, into: sums)
            }
        }
    }
}

/// The final running maximum and sum of each (streamed row, query head) of one chunk.
struct RowStatistics {
    let heads: Int
    private let maxima: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>

    init(rows: Int, heads: Int) {
        self.heads = heads
        maxima = .allocate(capacity: max(1, rows * heads)); sums = .allocate(capacity: max(1, rows * heads))
    }

    func free() { maxima.deallocate(); sums.deallocate() }

    /// Called once per (row, head), from the task that owns it.
    @inline(__always) func record(row: Int, head: Int, maximum: Float, sum: Float) {
        maxima[row * heads + head] = maximum; sums[row * heads + head] = sum
    }

    @inline(__always) func state(row: Int, head: Int) -> (maximum: Float, sum: Float) {
        (maxima[row * heads + head], sums[row * heads + head])
    }
}

extension LayerKV {
    /// Query heads (of `headCount`) reading each storage head.
    func queryHeads(headCount: Int) -> [[Int]] {
        var heads = Array(repeating: [Int](), count: storageHeads)
        for h in 0..<headCount { heads[storageHead(forQueryHead: h)].append(h) }
        return heads
    }
}

extension LlamaModel {
    /// The prefill attention of layer `layerIndex` with this model's shape, pool and observer.
    func prefillAttention(layerIndex: Int) -> PrefillAttention {
        PrefillAttention(pool: pool, headCount: config.headCount, headDim: config.headDim, layerIndex: layerIndex, observer: observer)
    }
}
