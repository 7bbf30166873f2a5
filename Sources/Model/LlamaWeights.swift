import GGUF
import Kernels

/// The tensors of one decoder block (GGUF names `blk.N.*`), left quantized and memory-mapped.
public struct LlamaBlockWeights: @unchecked Sendable {
    public let attnNorm: UnsafePointer<Float>   // blk.N.attn_norm.weight  (dim)
    public let wq: WeightMatrix                  // blk.N.attn_q.weight      (heads·headDim × dim)
    public let wk: WeightMatrix                  // blk.N.attn_k.weight      (kvHeads·headDim × dim)
    public let wv: WeightMatrix                  // blk.N.attn_v.weight      (kvHeads·headDim × dim)
    public let wo: WeightMatrix                  // blk.N.attn_output.weight (dim × heads·headDim)
    public let ffnNorm: UnsafePointer<Float>     // blk.N.ffn_norm.weight    (dim)
    public let wGate: WeightMatrix               // blk.N.ffn_gate.weight    (ffn × dim)
    public let wUp: WeightMatrix                 // blk.N.ffn_up.weight      (ffn × dim)
    public let wDown: WeightMatrix               // blk.N.ffn_down.weight    (dim × ffn)
    /// Gemma 3's extra norms (nil for the Llama family).
    public let gemma: Gemma3Norms?
}

/// All weights of a Llama-family model.
public final class LlamaWeights: @unchecked Sendable {
    public let tokenEmbedding: WeightMatrix      // token_embd.weight (vocab × dim)
    public let outputNorm: UnsafePointer<Float>  // output_norm.weight
    public private(set) var output: WeightMatrix // output.weight, or token_embd.weight when tied
    public private(set) var blocks: [LlamaBlockWeights]
    /// Divisors of the RoPE frequencies (ropeDimensions/2 values): Llama 3.1's `rope_freqs.weight`
    /// times the linear scaling factor of the configuration; nil when neither is present.
    public let ropeFrequencyFactors: [Float]?
    private var owned: [UnsafeMutablePointer<Float>] = []
    /// The packed copies made by `packForQ8` (nil before).
    private var packedStore: PackedWeightStore?

    public init(_ file: GGUFFile, _ config: LlamaConfiguration) throws {
        tokenEmbedding = try WeightMatrix(file, "token_embd.weight")
        output = file.tensor("output.weight") != nil ? try WeightMatrix(file, "output.weight") : tokenEmbedding
        var owned: [UnsafeMutablePointer<Float>] = []
        func vector(_ name: String, _ count: Int) throws -> UnsafePointer<Float> {
            guard let info = file.tensor(name) else { throw ModelError("tensor '\(name)' is missing from \(file.path)") }
            guard info.elementCount == count else {
                throw ModelError("tensor '\(name)' has \(info.elementCount) values; expected \(count)")
            }
            if info.type == .f32 { return file.data(info).assumingMemoryBound(to: Float.self) }
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
            try Dequantize.row(info.type, from: file.data(info), into: buffer, count: count)
            owned.append(buffer)
            return UnsafePointer(buffer)
        }
        func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
            let m = try WeightMatrix(file, name)
            guard m.rows == rows, m.cols == cols else {
                throw ModelError("tensor '\(name)' has shape [\(m.cols), \(m.rows)]; expected [\(cols), \(rows)]")
            }
            return m
        }
        let dim = config.embeddingLength, qDim = config.headCount * config.headDim
        let kvDim = config.headCountKV * config.headDim, ffn = config.feedForwardLength
        guard tokenEmbedding.cols == dim, output.cols == dim else {
            throw ModelError("\(file.path): token_embd/output width \(tokenEmbedding.cols)/\(output.cols) does not match embedding_length \(dim)")
        }
        guard tokenEmbedding.rows == config.vocabularySize, output.rows == config.vocabularySize else {
            throw ModelError("\(file.path): token_embd/output have \(tokenEmbedding.rows)/\(output.rows) rows; the vocabulary has \(config.vocabularySize) tokens")
        }
        outputNorm = try vector("output_norm.weight", dim)
        var blocks: [LlamaBlockWeights] = []
        for l in 0..<config.blockCount {
            let p = "blk.\(l)."
            var gemma: Gemma3Norms? = nil
            if config.family == .gemma3 { gemma = try Gemma3Norms(block: l, headDim: config.headDim, dim: dim, vector) }
            blocks.append(LlamaBlockWeights(
                attnNorm: try vector(p + "attn_norm.weight", dim),
                wq: try matrix(p + "attn_q.weight", rows: qDim, cols: dim),
                wk: try matrix(p + "attn_k.weight", rows: kvDim, cols: dim),
                wv: try matrix(p + "attn_v.weight", rows: kvDim, cols: dim),
                wo: try matrix(p + "attn_output.weight", rows: dim, cols: qDim),
                ffnNorm: try vector(p + "ffn_norm.weight", dim),
                wGate: try matrix(p + "ffn_gate.weight", rows: ffn, cols: dim),
                wUp: try matrix(p + "ffn_up.weight", rows: ffn, cols: dim),
                wDown: try matrix(p + "ffn_down.weight", rows: dim, cols: ffn),
                gemma: gemma))
        }
        self.blocks = blocks
        var factors: [Float]? = nil
        if file.tensor("rope_freqs.weight") != nil {
            let v = try vector("rope_freqs.weight", config.ropeDimensions / 2)
            factors = Array(UnsafeBufferPointer(start: v, count: config.ropeDimensions / 2))
            guard factors!.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw ModelError("\(file.path): tensor 'rope_freqs.weight' holds a value that is not a positive finite number")
            }
        }
        if config.ropeLinearScale != 1 {
            factors = (factors ?? Array(repeating: 1, count: config.ropeDimensions / 2)).map { $0 * config.ropeLinearScale }
        }
        ropeFrequencyFactors = factors
        self.owned = owned
    }

    deinit { for p in owned { p.deallocate() } }

    /// Repacks the matrices the 8-bit decode kernels read packed (`PackedMatrix`; once, before
    /// the model is shared), then lets the kernel drop the file pages they came from: every reader
    /// of a packed matrix, prefill's dequantized panels included, takes the copy, so the resident
    /// weights stay one copy (a later float32 product reads the file again, faulting pages back in).
    /// Returns the bytes of the packed copies.
    @discardableResult
    func packForQ8(_ file: GGUFFile) -> Int {
        if let packedStore { return packedStore.byteCount }
        let store = PackedWeightStore()
        func pack(_ m: WeightMatrix) -> WeightMatrix {
            let p = store.packed(m)
            if p.packed != nil { file.releasePages(m.base, byteCount: m.rows * m.rowBytes) }
            return p
        }
        blocks = blocks.map { $0.mapMatrices(pack) }
        // The output head; a tied token embedding keeps reading the file (a few rows per token).
        output = pack(output)
        packedStore = store
        return store.byteCount
    }
}

extension LlamaBlockWeights {
    /// The block with `f` applied to each of its seven matrices.
    func mapMatrices(_ f: (WeightMatrix) -> WeightMatrix) -> LlamaBlockWeights {
        LlamaBlockWeights(attnNorm: attnNorm, wq: f(wq), wk: f(wk), wv: f(wv), wo: f(wo), ffnNorm: ffnNorm,
                          wGate: f(wGate), wUp: f(wUp), wDown: f(wDown), gemma: gemma)
    }
}
