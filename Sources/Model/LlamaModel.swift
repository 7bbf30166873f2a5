import Foundation
import GGUF
import Kernels
import KVCache

/// A Llama-family transformer (Llama 2/3/3.1, Mistral, SmolLM2) run from a GGUF file on the CPU.
///
/// The forward pass reads top to bottom: embed → per block (rmsNorm → q,k,v → rope → cache →
/// attention → output projection → residual → rmsNorm → swiglu FFN → residual) → rmsNorm → logits.
/// Activations are float32; the KV cache is float32 or f16 (the cache decides); weights stay
/// quantized in the memory-mapped file. Products sharing an input (Q/K/V, gate/up) run as one job.
public final class LlamaModel: @unchecked Sendable {
    public let file: GGUFFile
    public let config: LlamaConfiguration
    public let weights: LlamaWeights
    public let rope: RoPE
    public let pool: ThreadPool
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
        MatMul.matvec(weights.output, hidden, out, pool: pool)
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

    /// One pass of `n` tokens through every block (prefill when the cache is empty and n > 1,
    /// otherwise a single decoding step with n == 1).
    private func pass(tokens: [Int32], startPosition: Int, cache: KVCache) throws -> [Float] {
        let n = tokens.count
        let c = config
        let dim = c.embeddingLength, d = c.headDim, H = c.headCount, G = c.headCountKV
        let qDim = H * d, kvDim = G * d, ffn = c.feedForwardLength
        let isPrefill = n > 1 || cache.layers[0].maxCount == 0
        let positions = (0..<n).map { Int32(startPosition + $0) }

        let x = Buffer(n * dim), xb = Buffer(n * dim), q = Buffer(n * qDim), k = Buffer(n * kvDim), v = Buffer(n * kvDim)
        let att = Buffer(n * qDim), proj = Buffer(n * dim), gate = Buffer(n * ffn), up = Buffer(n * ffn)
        let ropeCos = Buffer(n * rope.dimensions / 2), ropeSin = Buffer(n * rope.dimensions / 2)
        defer { for b in [x, xb, q, k, v, att, proj, gate, up, ropeCos, ropeSin] { b.free() } }

        for (i, t) in tokens.enumerated() {
            weights.tokenEmbedding.dequantizeRow(Int(t), into: x.p + i * dim)
            rope.angles(position: Int(positions[i]), cos: ropeCos.p + i * rope.dimensions / 2, sin: ropeSin.p + i * rope.dimensions / 2)
        }

        for (l, w) in weights.blocks.enumerated() {
            // Attention block.
            for i in 0..<n { Ops.rmsNorm(x.p + i * dim, w.attnNorm, xb.p + i * dim, n: dim, eps: c.rmsEpsilon) }
            MatMul.matmul([w.wq, w.wk, w.wv], xb.p, n: n, [q.p, k.p, v.p], pool: pool)
            for i in 0..<n {
                let cs = ropeCos.p + i * rope.dimensions / 2, sn = ropeSin.p + i * rope.dimensions / 2
                rope.apply(q.p + i * qDim, heads: H, headDim: d, cos: cs, sin: sn)
                rope.apply(k.p + i * kvDim, heads: G, headDim: d, cos: cs, sin: sn)
            }
            let layer = cache.layers[l]
            for i in 0..<n {
                for g in 0..<G {
                    layer.append(kvHead: g, key: k.p + i * kvDim + g * d, value: v.p + i * kvDim + g * d, position: positions[i])
                }
            }
            if isPrefill {
                let request = cache.prefillRequest(layer: l)
                var scores = PrefillScores(request: request, queryHeads: H)
                prefillAttention(layer: layer, q: q.p, k: k.p, positions: positions, out: att.p, request: request, scores: &scores)
                try cache.finishPrefill(layer: l, scores: scores)
            } else if cache.wantsDecodeProbabilities(layer: l) {
                let kLen = layer.maxCount
                probabilities.ensure(H * kLen)
                decodeAttention(layer: layer, q: q.p, position: positions[0], out: att.p, probabilities: probabilities.p)
                try cache.finishDecodeStep(layer: l, probabilities: UnsafeBufferPointer(start: probabilities.p, count: H * kLen))
            } else {
                decodeAttention(layer: layer, q: q.p, position: positions[0], out: att.p, probabilities: nil)
                try cache.finishDecodeStep(layer: l, probabilities: nil)
            }
            MatMul.matmul(w.wo, att.p, n: n, proj.p, pool: pool)
            Ops.add(x.p, proj.p, n: n * dim)

            // Feed-forward block.
            for i in 0..<n { Ops.rmsNorm(x.p + i * dim, w.ffnNorm, xb.p + i * dim, n: dim, eps: c.rmsEpsilon) }
            MatMul.matmul([w.wGate, w.wUp], xb.p, n: n, [gate.p, up.p], pool: pool)
            Ops.swiglu(gate.p, up.p, n: n * ffn)
            MatMul.matmul(w.wDown, gate.p, n: n, proj.p, pool: pool)
            Ops.add(x.p, proj.p, n: n * dim)
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
