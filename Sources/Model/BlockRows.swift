import Kernels
import KVCache

/// How a block multiplies its token rows by a weight matrix.
enum RowProduct {
    /// Consecutive tokens of one sequence: the panel GEMM for several rows (prefill), the
    /// matrix–vector kernel for one row (a decoding step).
    case gemm
    /// One row of each of several sequences (batched decode): every row through the matrix–vector
    /// kernel, the weights streamed once (`MatMul.matvecRows`), so each row's result is the one it
    /// gets when it is decoded alone.
    case perRow
}

/// Activation scratch of one block for up to `rows` token rows.
struct BlockScratch {
    let xb, q, k, v, att, proj, gate, up: Buffer

    init(rows: Int, config c: LlamaConfiguration) {
        let qDim = c.headCount * c.headDim, kvDim = c.headCountKV * c.headDim
        xb = Buffer(rows * c.embeddingLength); q = Buffer(rows * qDim); k = Buffer(rows * kvDim); v = Buffer(rows * kvDim)
        att = Buffer(rows * qDim); proj = Buffer(rows * c.embeddingLength)
        gate = Buffer(rows * c.feedForwardLength); up = Buffer(rows * c.feedForwardLength)
    }

    func free() { for b in [xb, q, k, v, att, proj, gate, up] { b.free() } }
}

/// The parts of a decoder block that are the same for a prompt chunk and a batch of decoding rows:
/// everything but the attention itself. `x` is the residual stream of the `m` rows; `cos`/`sin`
/// hold each row's RoPE angles (`ropeDimensions/2` per row).
extension LlamaModel {
    func multiply(_ ws: [WeightMatrix], _ x: UnsafePointer<Float>, rows m: Int, _ ys: [UnsafeMutablePointer<Float>],
                  _ product: RowProduct) {
        switch product {
        case .gemm: MatMul.matmul(ws, x, n: m, ys, pool: pool, activations: activations)
        case .perRow: MatMul.matvecRows(ws, x, n: m, ys, pool: pool, activations: activations)
        }
    }

    /// Keys and values of the rows (RoPE applied to the keys) into `s.k`, `s.v`.
    func keysAndValues(_ w: LlamaBlockWeights, x: UnsafePointer<Float>, rows m: Int, cos: UnsafePointer<Float>,
                       sin: UnsafePointer<Float>, scratch s: BlockScratch, _ product: RowProduct) {
        let c = config, dim = c.embeddingLength, kvDim = c.headCountKV * c.headDim, half = rope.dimensions / 2
        for i in 0..<m { Ops.rmsNorm(x + i * dim, w.attnNorm, s.xb.p + i * dim, n: dim, eps: c.rmsEpsilon) }
        multiply([w.wk, w.wv], s.xb.p, rows: m, [s.k.p, s.v.p], product)
        if let g = w.gemma { normalizeHeads(s.k.p, rows: m, heads: c.headCountKV, norm: g.kNorm, isQuery: false) }
        for i in 0..<m {
            rope.apply(s.k.p + i * kvDim, heads: c.headCountKV, headDim: c.headDim, cos: cos + i * half, sin: sin + i * half)
        }
    }

    /// Queries, keys and values of the rows in one product (`.perRow`: a decoding batch), RoPE applied.
    func queriesKeysValues(_ w: LlamaBlockWeights, x: UnsafePointer<Float>, rows m: Int, cos: UnsafePointer<Float>,
                           sin: UnsafePointer<Float>, scratch s: BlockScratch) {
        let c = config, dim = c.embeddingLength, d = c.headDim, qDim = c.headCount * d, kvDim = c.headCountKV * d
        let half = rope.dimensions / 2
        for i in 0..<m { Ops.rmsNorm(x + i * dim, w.attnNorm, s.xb.p + i * dim, n: dim, eps: c.rmsEpsilon) }
        multiply([w.wq, w.wk, w.wv], s.xb.p, rows: m, [s.q.p, s.k.p, s.v.p], .perRow)
        if let g = w.gemma {
            normalizeHeads(s.q.p, rows: m, heads: c.headCount, norm: g.qNorm, isQuery: true)
            normalizeHeads(s.k.p, rows: m, heads: c.headCountKV, norm: g.kNorm, isQuery: false)
        }
        for i in 0..<m {
            rope.apply(s.q.p + i * qDim, heads: c.headCount, headDim: d, cos: cos + i * half, sin: sin + i * half)
            rope.apply(s.k.p + i * kvDim, heads: c.headCountKV, headDim: d, cos: cos + i * half, sin: sin + i * half)
        }
    }

    /// Appends row `i` of `s.k`/`s.v` to `layer` at `position`.
    func appendRow(_ i: Int, of s: BlockScratch, to layer: LayerKV, position: Int32) {
        let d = config.headDim, kvDim = config.headCountKV * d
        for g in 0..<config.headCountKV {
            layer.append(kvHead: g, key: s.k.p + i * kvDim + g * d, value: s.v.p + i * kvDim + g * d, position: position)
        }
    }

    /// Queries of the rows (RoPE applied) into `s.q`.
    func queries(_ w: LlamaBlockWeights, x: UnsafePointer<Float>, rows m: Int, cos: UnsafePointer<Float>,
                 sin: UnsafePointer<Float>, scratch s: BlockScratch, _ product: RowProduct) {
        let c = config, dim = c.embeddingLength, qDim = c.headCount * c.headDim, half = rope.dimensions / 2
        for i in 0..<m { Ops.rmsNorm(x + i * dim, w.attnNorm, s.xb.p + i * dim, n: dim, eps: c.rmsEpsilon) }
        multiply([w.wq], s.xb.p, rows: m, [s.q.p], product)
        if let g = w.gemma { normalizeHeads(s.q.p, rows: m, heads: c.headCount, norm: g.qNorm, isQuery: true) }
        for i in 0..<m {
            rope.apply(s.q.p + i * qDim, heads: c.headCount, headDim: c.headDim, cos: cos + i * half, sin: sin + i * half)
        }
    }

    /// The output projection of the attention rows `s.att` and the feed-forward block, each added
    /// to the residual rows `x`.
    func finishBlock(_ w: LlamaBlockWeights, x: UnsafeMutablePointer<Float>, rows m: Int, scratch s: BlockScratch,
                     _ product: RowProduct) {
        let c = config, dim = c.embeddingLength, ffn = c.feedForwardLength
        multiply([w.wo], s.att.p, rows: m, [s.proj.p], product)
        if let g = w.gemma { normalizeRows(s.proj.p, rows: m, norm: g.postAttentionNorm) }
        Ops.add(x, s.proj.p, n: m * dim)
        for i in 0..<m { Ops.rmsNorm(x + i * dim, w.ffnNorm, s.xb.p + i * dim, n: dim, eps: c.rmsEpsilon) }
        multiply([w.wGate, w.wUp], s.xb.p, rows: m, [s.gate.p, s.up.p], product)
        // Row by row, so a row's result does not depend on how many rows share the call.
        for i in 0..<m {
            switch c.family {
            case .llama: Ops.swiglu(s.gate.p + i * ffn, s.up.p + i * ffn, n: ffn)
            case .gemma3: geglu(s.gate.p + i * ffn, s.up.p + i * ffn, n: ffn)
            }
        }
        multiply([w.wDown], s.gate.p, rows: m, [s.proj.p], product)
        if let g = w.gemma { normalizeRows(s.proj.p, rows: m, norm: g.postFeedForwardNorm) }
        Ops.add(x, s.proj.p, n: m * dim)
    }

    /// The embedding row of `token` (scaled by `embeddingScale`) into `x`.
    func embed(_ token: Int32, into x: UnsafeMutablePointer<Float>) {
        weights.tokenEmbedding.dequantizeRow(Int(token), into: x)
        let scale = config.embeddingScale
        if scale != 1 { for i in 0..<config.embeddingLength { x[i] *= scale } }
    }

    /// The final normalisation of `m` residual rows.
    func normalizedHidden(_ x: UnsafePointer<Float>, rows m: Int) -> [Float] {
        let dim = config.embeddingLength
        var hidden = [Float](repeating: 0, count: m * dim)
        hidden.withUnsafeMutableBufferPointer { h in
            for i in 0..<m { Ops.rmsNorm(x + i * dim, weights.outputNorm, h.baseAddress! + i * dim, n: dim, eps: config.rmsEpsilon) }
        }
        return hidden
    }
}
