import Kernels
import KVCache

/// One pass of `n` consecutive tokens of one sequence through the blocks, run one layer at a time:
/// the prompt (prefill, on a cache whose prompt is not finished: empty, or holding the rows of a
/// shared prompt prefix, `KVCache.forkedPrefix`) or a single decoding step (n == 1).
///
/// Prefill runs layer by layer so each layer's prefill method sees the whole prompt before the next
/// layer is computed (the cache then holds the full prompt of one layer at most). Inside a layer
/// the prompt is processed in chunks of `LlamaModel.chunkSize` tokens: first every chunk's keys and
/// values go into the cache, then each chunk's queries attend (masks from the stored positions) and
/// its feed-forward block runs. Only the residual stream (`n × dim`) is kept for the whole prompt.
///
/// Because the state between layers is just that residual stream, a caller can advance a prompt a
/// few layers at a time and interleave other work (chunked prefill in `BatchScheduler`); the result
/// is the same as running all layers at once.
public final class LayerPass {
    public let model: LlamaModel
    public let cache: KVCache
    public let tokenCount: Int
    /// The next layer to run (`blockCount` when complete).
    public private(set) var nextLayer = 0
    let positions: [Int32]
    let isPrefill: Bool
    let chunks: [Range<Int>]
    let x: Buffer
    /// RoPE angles of every token, one table per distinct RoPE of the model (`model.ropes`).
    let ropeCos: [Buffer], ropeSin: [Buffer]
    let scratch: BlockScratch

    /// Prepares the pass (embeddings and RoPE angles). Token ids must be valid.
    public init(model: LlamaModel, tokens: [Int32], startPosition: Int, cache: KVCache) {
        self.model = model
        self.cache = cache
        let n = tokens.count, c = model.config
        let dim = c.embeddingLength, half = model.rope.dimensions / 2
        tokenCount = n
        isPrefill = !cache.isPrefilled
        positions = (0..<n).map { Int32(startPosition + $0) }
        let chunk = max(1, min(n, LlamaModel.chunkSize))
        chunks = stride(from: 0, to: n, by: chunk).map { $0..<min(n, $0 + chunk) }
        x = Buffer(n * dim)
        ropeCos = model.ropes.map { _ in Buffer(n * half) }; ropeSin = model.ropes.map { _ in Buffer(n * half) }
        scratch = BlockScratch(rows: chunk, config: c)
        for (i, t) in tokens.enumerated() {
            model.embed(t, into: x.p + i * dim)
            for (r, rope) in model.ropes.enumerated() {
                rope.angles(position: Int(positions[i]), cos: ropeCos[r].p + i * half, sin: ropeSin[r].p + i * half)
            }
        }
    }

    deinit { for b in [x] + ropeCos + ropeSin { b.free() }; scratch.free() }

    /// How many leading rows of a kept prompt a prompt of `n` tokens that shares its first `common`
    /// tokens can take, so that running only its rest (this pass from that position, on a cache
    /// holding those rows) gives every row and hidden state bit for bit what its own prefill gives:
    /// the largest even `k ≤ common` after which the rest's last chunk is a single token exactly when
    /// the whole prompt's is. Why: while the prompt runs, each layer holds all its rows before any
    /// query attends, so attention sees the same rows either way; the products (`MatMul.matmul`)
    /// give a token the same bits in any chunk where it has the same offset parity (tokens go in
    /// pairs), except a chunk of one token, which takes the single-row kernel. 0: nothing to share.
    public static func reusableRows(sharing common: Int, promptLength n: Int) -> Int {
        let chunk = LlamaModel.chunkSize
        var k = Swift.min(common, n - 1) / 2 * 2
        if n % chunk == 1 { return k / chunk * chunk }   // the whole prompt ends in a one-token chunk: so must the rest
        if k > 0 && (n - k) % chunk == 1 { k -= 2 }   // the rest would end in one
        return Swift.max(0, k)
    }

    public var isComplete: Bool { nextLayer == model.config.blockCount }

    /// Runs up to `count` more layers.
    public func run(layers count: Int = .max) throws {
        let L = model.config.blockCount
        let end = L - nextLayer <= count ? L : nextLayer + count
        while nextLayer < end { try runLayer(nextLayer); nextLayer += 1 }
    }

    /// The final normalised hidden states (`[tokenCount, dim]`); call when complete.
    public func hidden() -> [Float] {
        precondition(isComplete, "LayerPass.hidden() before the last layer ran")
        return model.normalizedHidden(x.p, rows: tokenCount)
    }

    private func runLayer(_ l: Int) throws {
        let model = self.model, c = model.config, n = tokenCount
        let dim = c.embeddingLength, qDim = c.headCount * c.headDim, half = model.rope.dimensions / 2
        let w = model.weights.blocks[l], layer = cache.layers[l], s = scratch
        let ropeCos = self.ropeCos[model.ropeTable[l]], ropeSin = self.ropeSin[model.ropeTable[l]]
        // 1. Keys and values of every token into the cache.
        for r in chunks {
            let t0 = r.lowerBound
            model.keysAndValues(w, x: x.p + t0 * dim, rows: r.count, cos: ropeCos.p + t0 * half, sin: ropeSin.p + t0 * half,
                                scratch: s, .gemm)
            for i in 0..<r.count { model.appendRow(i, of: s, to: layer, position: positions[t0 + i]) }
        }
        // 2. What the compression policy wants to observe.
        var request = PrefillScoreRequest(kind: .none, window: 0, promptLength: n)
        var scores: PrefillScores? = nil
        // The decode-time probability rows belong to this pass: the model is shared by every
        // sequence decoding on it (threads, the batch scheduler, the server), so it holds no scratch.
        var decodeProbabilities: UnsafeMutablePointer<Float>? = nil
        if isPrefill {
            request = cache.prefillRequest(layer: l)
            scores = PrefillScores(request: request, queryHeads: c.headCount)
        } else if cache.wantsDecodeProbabilities(layer: l) {
            decodeProbabilities = Buffer(c.headCount * layer.maxCount).p
        }
        defer { decodeProbabilities?.deallocate() }
        let keepQueries = request.kind == .nonCausalColumnSums ? Buffer(n * qDim) : nil
        defer { keepQueries?.free() }
        // 3. Queries, attention, output projection and feed-forward block, chunk by chunk.
        for r in chunks {
            let t0 = r.lowerBound, xr = x.p + t0 * dim
            model.queries(w, x: xr, rows: r.count, cos: ropeCos.p + t0 * half, sin: ropeSin.p + t0 * half, scratch: s, .gemm)
            keepQueries.map { ($0.p + t0 * qDim).update(from: s.q.p, count: r.count * qDim) }
            let queryWindow = cache.isWindowed(layer: l) ? 0 : cache.queryWindow
            for i in 0..<r.count where queryWindow > 0 && t0 + i >= n - queryWindow {
                cache.recordQuery(layer: l, s.q.p + i * qDim, position: positions[t0 + i])   // a method's query ring
            }
            if isPrefill, let window = c.window(layer: l) {
                model.windowedPrefillAttention(layer: layer, window: window, q: s.q.p, queries: r, positions: positions,
                                               out: s.att.p)
            } else if isPrefill {
                model.prefillAttention(layerIndex: l).run(layer: layer, q: s.q.p, queries: r, positions: positions, out: s.att.p,
                                                          request: request, scores: &scores!)
            } else {
                model.decodeAttention(layer: layer, layerIndex: l, q: s.q.p, position: positions[0], out: s.att.p,
                                      probabilities: decodeProbabilities)
            }
            model.finishBlock(w, x: xr, rows: r.count, scratch: s, .gemm)
        }
        // 4. Let the policy compress this layer.
        if isPrefill {
            if let keepQueries {
                model.prefillAttention(layerIndex: l).nonCausalColumnSums(layer: layer, q: keepQueries.p, n: n, window: request.window,
                                                                          scores: &scores!)
            }
            try cache.finishPrefill(layer: l, scores: scores)
        } else {
            try cache.finishDecodeStep(layer: l, probabilities: decodeProbabilities.map {
                UnsafeBufferPointer(start: $0, count: c.headCount * layer.maxCount)
            })
        }
    }
}
