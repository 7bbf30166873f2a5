import Foundation
import Kernels

/// Gemma 3's decoder block, as the shared block code (`BlockRows.swift`) runs it:
///
///     h  = x + postAttentionNorm(Wo · attention(rope(qNorm(Wq·n)), rope(kNorm(Wk·n)), Wv·n)),  n = attnNorm(x)
///     x' = h + postFeedForwardNorm(Wdown · (gelu_tanh(Wgate·m) ⊙ Wup·m)),                      m = ffnNorm(h)
///
/// with the query/key norms taken per head over `headDim`, embeddings scaled by √dim, local layers
/// attending to a sliding window with their own RoPE base (`Gemma3Configuration.swift`), and the
/// output head tied to the embeddings. Hugging Face's Gemma RMSNorm multiplies by `1 + w`; the GGUF
/// converter stores `1 + w` already (blk.0.post_attention_norm holds values from 0.0), so every
/// norm here is the plain `x / rms(x) · w` of the Llama path.
public struct Gemma3Norms: @unchecked Sendable {
    public let qNorm: UnsafePointer<Float>               // blk.N.attn_q_norm.weight       (headDim)
    public let kNorm: UnsafePointer<Float>               // blk.N.attn_k_norm.weight       (headDim)
    public let postAttentionNorm: UnsafePointer<Float>   // blk.N.post_attention_norm.weight (dim)
    public let postFeedForwardNorm: UnsafePointer<Float> // blk.N.post_ffw_norm.weight     (dim)

    init(block l: Int, headDim: Int, dim: Int, _ vector: (String, Int) throws -> UnsafePointer<Float>) throws {
        let p = "blk.\(l)."
        qNorm = try vector(p + "attn_q_norm.weight", headDim)
        kNorm = try vector(p + "attn_k_norm.weight", headDim)
        postAttentionNorm = try vector(p + "post_attention_norm.weight", dim)
        postFeedForwardNorm = try vector(p + "post_ffw_norm.weight", dim)
    }
}

extension LlamaModel {
    /// RMSNorm of each of the `heads` head vectors of every row, in place (query/key norms); the
    /// queries also take the attention scale beyond the kernels' 1/√headDim.
    func normalizeHeads(_ x: UnsafeMutablePointer<Float>, rows m: Int, heads: Int, norm: UnsafePointer<Float>,
                        isQuery: Bool) {
        let d = config.headDim
        let extra = isQuery ? config.attentionScale * Float(d).squareRoot() : 1
        for r in 0..<(m * heads) {
            let v = x + r * d
            Ops.rmsNorm(v, norm, v, n: d, eps: config.rmsEpsilon)
            if extra != 1 { for i in 0..<d { v[i] *= extra } }
        }
    }

    /// RMSNorm of `m` rows of `dim` values in place (the post-attention and post-feed-forward norms).
    func normalizeRows(_ x: UnsafeMutablePointer<Float>, rows m: Int, norm: UnsafePointer<Float>) {
        let dim = config.embeddingLength
        for i in 0..<m { Ops.rmsNorm(x + i * dim, norm, x + i * dim, n: dim, eps: config.rmsEpsilon) }
    }
}

/// GeGLU with the tanh approximation of GELU (`gelu_pytorch_tanh`):
/// `gate[i] = 0.5·g·(1 + tanh(√(2/π)·(g + 0.044715·g³))) · up[i]`.
func geglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, n: Int) {
    let c = Float((2 / Double.pi).squareRoot())
    for i in 0..<n {
        let g = gate[i]
        gate[i] = 0.5 * g * (1 + tanhf(c * (g + 0.044715 * g * g * g))) * up[i]
    }
}
