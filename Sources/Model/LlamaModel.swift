import Foundation
import GGUF
import Kernels
import KVCache

/// A Llama-family transformer (Llama 2/3/3.1, Mistral, SmolLM2) run from a GGUF file on the CPU.
///
/// The forward pass reads top to bottom: embed → per block (rmsNorm → q,k,v → rope → cache →
/// attention → output projection → residual → rmsNorm → swiglu FFN → residual) → rmsNorm → logits.
/// Activations and the KV cache are float32; weights stay quantized in the memory-mapped file.
public final class LlamaModel: @unchecked Sendable {
    public let file: GGUFFile
    public let config: LlamaConfiguration
    public let weights: LlamaWeights
    public let rope: RoPE
    public let pool: ThreadPool
    /// Activation precision of decode matrix–vector products: `.f32` (exact, the default) or `.q8`
    /// (8-bit activations as in llama.cpp; faster, opt-in). Prefill is always float32.
    public var activations: ActivationPrecision = .f32
    /// Analyses hook: sees attention probabilities of the layers and positions it asks for.
    public var observer: AttentionObserver?
    /// Scratch for the decode-time attention probabilities handed to the cache's policy.
    private let probabilities = GrowableBuffer()

    public init(file: GGUFFile, pool: ThreadPool = .shared) throws {
        self.file = file
        self.config = try LlamaConfiguration(file)
        self.weights = try LlamaWeights(file, config)
        self.rope = RoPE(dimensions: config.ropeDimensions, base: config.ropeBase,
                         frequencyFactors: weights.ropeFrequencyFactors)
        self.pool = pool
    }

    public convenience init(path: String, pool: ThreadPool = .shared) throws {
        try self.init(file: try GGUFFile(path: path), pool: pool)
    }

    /// The shape a KV cache for this model must have.
    public var cacheShape: CacheShape {
        CacheShape(layers: config.blockCount, queryHeads: config.headCount, kvHeads: config.headCountKV, headDim: config.headDim)
    }

    /// Runs `tokens` at consecutive positions starting at `startPosition`, appending their keys and
    /// values to `cache`, and returns the final normalised hidden states (`[tokens.count, dim]`).
    ///
    /// On an empty cache the tokens are the prompt (prefill: full attention, then the cache's
    /// prefill method compresses each layer). On a non-empty cache each token is one decoding step.
    public func forward(tokens: [Int32], startPosition: Int, cache: KVCache) throws -> [Float] {
        guard !tokens.isEmpty else { return [] }
        for t in tokens where t < 0 || Int(t) >= config.vocabularySize {
            throw ModelError("token id \(t) is outside the vocabulary (0..<\(config.vocabularySize))")
        }
        if cache.layers[0].maxCount == 0 && tokens.count > 1 {
            return try pass(tokens: tokens, startPosition: startPosition, cache: cache)
        }
        var hidden: [Float] = []
        hidden.reserveCapacity(tokens.count * config.embeddingLength)
        for (i, t) in tokens.enumerated() {
            hidden += try pass(tokens: [t], startPosition: startPosition + i, cache: cache)
        }
        return hidden
    }

    /// Logits of one hidden row (`vocabularySize` floats).
    public func logits(hidden: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        MatMul.matvec(weights.output, hidden, out, pool: pool, activations: activations)
    }

    /// Logits of hidden rows `rows` (`[rows.count, vocabularySize]`, row-major), batched so the
    /// output matrix is read once per batch instead of once per row.
    public func logits(hidden: [Float], rows: Range<Int>) -> [Float] {
        var out = [Float](repeating: 0, count: rows.count * config.vocabularySize)
        hidden.withUnsafeBufferPointer { h in
            out.withUnsafeMutableBufferPointer { o in
                MatMul.matmul(weights.output, h.baseAddress! + rows.lowerBound * config.embeddingLength, n: rows.count,
                              o.baseAddress!, pool: pool)
            }
        }
        return out
    }

    public func logits(hidden: [Float], row: Int) -> [Float] {
        var out = [Float](repeating: 0, count: config.vocabularySize)
        hidden.withUnsafeBufferPointer { h in
            out.withUnsafeMutableBufferPointer { o in
                logits(hidden: h.baseAddress! + row * config.embeddingLength, into: o.baseAddress!)
            }
        }
        return out
    }

    /// Tokens per chunk inside a layer: activations scale with the chunk, not the prompt.
    public static let chunkSize = 256

    /// One pass of `n` tokens through every block: the prompt (prefill, on an empty cache) or a
    /// single decoding step (n == 1).
    ///
    /// Prefill runs layer by layer so each layer's prefill method sees the whole prompt before the
    /// next layer is computed (the cache then holds the full prompt of one layer at most). Inside
    /// a layer the prompt is processed in chunks of `chunkSize` tokens: first every chunk's keys
    /// and values go into the cache, then each chunk's queries attend (masks from the stored
    /// positions) and its feed-forward block runs. Only the residual stream (`n × dim`) is kept
    /// for the whole prompt.
    private func pass(tokens: [Int32], startPosition: Int, cache: KVCache) throws -> [Float] {
        let n = tokens.count
        let c = config
        let dim = c.embeddingLength, d = c.headDim, H = c.headCount, G = c.headCountKV
        let qDim = H * d, kvDim = G * d, ffn = c.feedForwardLength, half = rope.dimensions / 2
        let isPrefill = cache.layers[0].maxCount == 0
        let positions = (0..<n).map { Int32(startPosition + $0) }
        let chunk = min(n, Self.chunkSize)

        let x = Buffer(n * dim), ropeCos = Buffer(n * half), ropeSin = Buffer(n * half)
        let xb = Buffer(chunk * dim), q = Buffer(chunk * qDim), k = Buffer(chunk * kvDim), v = Buffer(chunk * kvDim)
        let att = Buffer(chunk * qDim), proj = Buffer(chunk * dim), gate = Buffer(chunk * ffn), up = Buffer(chunk * ffn)
        defer { for b in [x, ropeCos, ropeSin, xb, q, k, v, att, proj, gate, up] { b.free() } }

        for (i, t) in tokens.enumerated() {
            weights.tokenEmbedding.dequantizeRow(Int(t), into: x.p + i * dim)
            rope.angles(position: Int(positions[i]), cos: ropeCos.p + i * half, sin: ropeSin.p + i * half)
        }
        let chunks = stride(from: 0, to: n, by: chunk).map { $0..<min(n, $0 + chunk) }

        for (l, w) in weights.blocks.enumerated() {
            let layer = cache.layers[l]
            // 1. Keys and values of every token into the cache.
            for r in chunks {
                let m = r.count, xr = x.p + r.lowerBound * dim
                for i in 0..<m { Ops.rmsNorm(xr + i * dim, w.attnNorm, xb.p + i * dim, n: dim, eps: c.rmsEpsilon) }
                MatMul.matmul([w.wk, w.wv], xb.p, n: m, [k.p, v.p], pool: pool, activations: activations)
                for i in 0..<m {
                    let t = r.lowerBound + i
                    rope.apply(k.p + i * kvDim, heads: G, headDim: d, cos: ropeCos.p + t * half, sin: ropeSin.p + t * half)
                    for g in 0..<G {
                        layer.append(kvHead: g, key: k.p + i * kvDim + g * d, value: v.p + i * kvDim + g * d, position: positions[t])
                    }
                }
            }
            // 2. What the compression policy wants to observe.
            var request = PrefillScoreRequest(kind: .none, window: 0, promptLength: n)
            var scores: PrefillScores? = nil
            var decodeProbabilities: UnsafeMutablePointer<Float>? = nil
            if isPrefill {
                request = cache.prefillRequest(layer: l)
                scores = PrefillScores(request: request, queryHeads: H)
            } else if cache.wantsDecodeProbabilities(layer: l) {
                probabilities.ensure(H * layer.maxCount)
                decodeProbabilities = probabilities.p
            }
            let keepQueries = request.kind == .nonCausalColumnSums ? Buffer(n * qDim) : nil
            defer { keepQueries?.free() }
            // 3. Queries, attention, output projection and feed-forward block, chunk by chunk.
            for r in chunks {
                let m = r.count, xr = x.p + r.lowerBound * dim
                for i in 0..<m { Ops.rmsNorm(xr + i * dim, w.attnNorm, xb.p + i * dim, n: dim, eps: c.rmsEpsilon) }
                MatMul.matmul(w.wq, xb.p, n: m, q.p, pool: pool, activations: activations)
                for i in 0..<m {
                    let t = r.lowerBound + i
                    rope.apply(q.p + i * qDim, heads: H, headDim: d, cos: ropeCos.p + t * half, sin: ropeSin.p + t * half)
                }
                keepQueries.map { ($0.p + r.lowerBound * qDim).update(from: q.p, count: m * qDim) }
                if isPrefill {
                    prefillAttention(layer: layer, layerIndex: l, q: q.p, queries: r, positions: positions, out: att.p,
                                     request: request, scores: &scores!)
                } else {
                    decodeAttention(layer: layer, layerIndex: l, q: q.p, position: positions[0], out: att.p, probabilities: decodeProbabilities)
                }
                MatMul.matmul(w.wo, att.p, n: m, proj.p, pool: pool, activations: activations)
                Ops.add(xr, proj.p, n: m * dim)

                for i in 0..<m { Ops.rmsNorm(xr + i * dim, w.ffnNorm, xb.p + i * dim, n: dim, eps: c.rmsEpsilon) }
                MatMul.matmul([w.wGate, w.wUp], xb.p, n: m, [gate.p, up.p], pool: pool, activations: activations)
                Ops.swiglu(gate.p, up.p, n: m * ffn)
                MatMul.matmul(w.wDown, gate.p, n: m, proj.p, pool: pool, activations: activations)
                Ops.add(xr, proj.p, n: m * dim)
            }
            // 4. Let the policy compress this layer.
            if isPrefill {
                if let keepQueries {
                    nonCausalColumnSums(layer: layer, q: keepQueries.p, n: n, window: request.window, scores: &scores!)
                }
                try cache.finishPrefill(layer: l, scores: scores)
            } else {
                try cache.finishDecodeStep(layer: l, probabilities: decodeProbabilities.map {
                    UnsafeBufferPointer(start: $0, count: H * layer.maxCount)
                })
            }
        }
        var hidden = [Float](repeating: 0, count: n * dim)
        hidden.withUnsafeMutableBufferPointer { h in
            for i in 0..<n { Ops.rmsNorm(x.p + i * dim, weights.outputNorm, h.baseAddress! + i * dim, n: dim, eps: c.rmsEpsilon) }
        }
        return hidden
    }
}

/// A manually managed float buffer for activations (freed explicitly; no copy-on-write).
struct Buffer {
    let p: UnsafeMutablePointer<Float>
    init(_ count: Int) {
        p = .allocate(capacity: max(1, count))
        p.initialize(repeating: 0, count: max(1, count))
    }
    func free() { p.deallocate() }
}

/// A float buffer that grows on demand and is reused across calls.
final class GrowableBuffer: @unchecked Sendable {
    private(set) var p: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private var capacity = 1
    func ensure(_ count: Int) {
        guard count > capacity else { return }
        p.deallocate()
        capacity = max(count, capacity * 2)
        p = .allocate(capacity: capacity)
    }
    deinit { p.deallocate() }
}
