import Foundation
import GGUF
import Kernels
import KVCache

/// A decoder-only transformer of the Llama family (Llama 2/3/3.1, Mistral, SmolLM2) or Gemma 3 run
/// from a GGUF file on the CPU.
///
/// The forward pass reads top to bottom: embed → per block (rmsNorm → q,k,v → rope → cache →
/// attention → output projection → residual → rmsNorm → swiglu FFN → residual) → rmsNorm → logits.
/// Gemma 3's block adds its norms, GeGLU and sliding windows (`Gemma3Block.swift`).
/// Activations and the KV cache are float32; weights stay quantized in the memory-mapped file.
///
/// Sendable because nothing a pass writes lives here: a model is configured once (`activations`,
/// `observer`) and then shared by every sequence decoding on it; each `LayerPass` and batched step
/// owns its scratch (`SharedModelTests` decodes on two threads at once).
public final class LlamaModel: @unchecked Sendable {
    public let file: GGUFFile
    public let config: LlamaConfiguration
    public let weights: LlamaWeights
    /// RoPE of the global layers (of every layer for Llama).
    public let rope: RoPE
    /// RoPE of each layer: `ropes[ropeTable[l]]` (Gemma 3's local layers use a second base).
    public let ropes: [RoPE]
    let ropeTable: [Int]
    public let pool: ThreadPool
    /// Activation precision of decode matrix–vector products: `.f32` (exact, the default) or `.q8`
    /// (8-bit activations as in llama.cpp; faster, opt-in). Prefill is always float32. Setting
    /// `.q8` repacks the Q4_1 matrices for the eight-row kernels once (`Q4_1Packed`).
    public var activations: ActivationPrecision = .f32 {
        didSet { if activations == .q8 { weights.packForQ8(file) } }
    }
    /// Analyses hook: sees attention probabilities of the layers and positions it asks for.
    public var observer: AttentionObserver?

    public init(file: GGUFFile, pool: ThreadPool = .shared) throws {
        self.file = file
        self.config = try LlamaConfiguration(file)
        self.weights = try LlamaWeights(file, config)
        let layout: RoPE.Layout = config.family == .gemma3 ? .halves : .adjacentPairs
        let global = RoPE(dimensions: config.ropeDimensions, base: config.ropeBase,
                          frequencyFactors: weights.ropeFrequencyFactors, layout: layout)
        self.rope = global
        if let localBase = config.localRopeBase {
            ropes = [global, RoPE(dimensions: config.ropeDimensions, base: localBase, layout: layout)]
            ropeTable = config.layerWindows.map { $0 == nil ? 0 : 1 }
        } else {
            ropes = [global]
            ropeTable = Array(repeating: 0, count: config.blockCount)
        }
        self.pool = pool
    }

    public convenience init(path: String, pool: ThreadPool = .shared) throws {
        try self.init(file: try GGUFFile(path: path), pool: pool)
    }

    /// The shape a KV cache for this model must have.
    public var cacheShape: CacheShape {
        CacheShape(layers: config.blockCount, queryHeads: config.headCount, kvHeads: config.headCountKV, headDim: config.headDim,
                   layerWindows: config.layerWindows)
    }

    /// Runs `tokens` at consecutive positions starting at `startPosition`, appending their keys and
    /// values to `cache`, and returns the final normalised hidden states (`[tokens.count, dim]`).
    ///
    /// Before the cache's prompt is finished (an empty cache, or one holding a shared prompt prefix)
    /// the tokens are the prompt, or its rest (prefill: full attention, then the cache's prefill
    /// method compresses each layer). After it, each token is one decoding step.
    public func forward(tokens: [Int32], startPosition: Int, cache: KVCache) throws -> [Float] {
        guard !tokens.isEmpty else { return [] }
        try checkVocabulary(tokens)
        if !cache.isPrefilled && tokens.count > 1 {
            return try pass(tokens: tokens, startPosition: startPosition, cache: cache)
        }
        var hidden: [Float] = []
        hidden.reserveCapacity(tokens.count * config.embeddingLength)
        for (i, t) in tokens.enumerated() {
            hidden += try pass(tokens: [t], startPosition: startPosition + i, cache: cache)
        }
        return hidden
    }

    /// Throws when a token id is outside the vocabulary.
    public func checkVocabulary(_ tokens: [Int32]) throws {
        for t in tokens where t < 0 || Int(t) >= config.vocabularySize {
            throw ModelError("token id \(t) is outside the vocabulary (0..<\(config.vocabularySize))")
        }
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

    /// One pass of `n` tokens through every block: the prompt (prefill, before the cache's prompt is finished) or a
    /// single decoding step (n == 1); see `LayerPass`.
    private func pass(tokens: [Int32], startPosition: Int, cache: KVCache) throws -> [Float] {
        let pass = LayerPass(model: self, tokens: tokens, startPosition: startPosition, cache: cache)
        try pass.run()
        return pass.hidden()
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
