import GGUF

/// The Gemma 3 hyper-parameters beyond the Llama ones (`gemma3.*` keys and the values the GGUF
/// does not store).
///
/// * Layer pattern: five sliding-window (local) layers, then one global layer, repeated — layer
///   `l` is global when `(l + 1) % 6 == 0` (Hugging Face `Gemma3TextConfig.sliding_window_pattern`
///   = 6 and its `layer_types`; llama.cpp's `set_swa_pattern(6)`). A file may override the period
///   with `gemma3.attention.sliding_window_pattern`.
/// * Sliding window: `gemma3.attention.sliding_window` (512 for 270M); a key is visible when
///   `query − window < key ≤ query`.
/// * RoPE: the global layers use `gemma3.rope.freq_base` (1,000,000) and any linear scaling of the
///   file; the local layers use base 10,000 without scaling (`rope_local_base_freq`, not stored
///   in the GGUF). Both rotate the two halves of each head (NEOX layout; the converter does not
///   permute Gemma's query and key rows).
/// * Embeddings are multiplied by √dim; attention scores by `query_pre_attn_scalar^(-1/2)`, which is
///   `key_length^(-1/2)` for every Gemma 3 size except 27B (`dim / heads`).
extension LlamaConfiguration {
    static let gemma3LocalRopeBase: Float = 10_000
    static let gemma3LayerPeriod = 6

    mutating func readGemma3(_ file: GGUFFile) throws {
        let key = "gemma3.attention.sliding_window"
        guard let window = file.int(key) else { throw ModelError("\(file.path): metadata key '\(key)' is missing or not an integer") }
        guard window > 1 else { throw ModelError("\(file.path): metadata key '\(key)' must be at least 2, got \(window)") }
        let period = file.int("gemma3.attention.sliding_window_pattern") ?? Self.gemma3LayerPeriod
        guard period > 0 else {
            throw ModelError("\(file.path): metadata key 'gemma3.attention.sliding_window_pattern' must be positive, got \(period)")
        }
        layerWindows = (0..<blockCount).map { l in (l + 1) % period == 0 ? nil : window }
        localRopeBase = Self.gemma3LocalRopeBase
        embeddingScale = Float(embeddingLength).squareRoot()
        // 27B (62 layers, dim 5376) scales by dim/heads; every other size by the head dimension.
        let queryPreAttentionScalar = blockCount == 62 ? embeddingLength / headCount : headDim
        attentionScale = 1 / Float(queryPreAttentionScalar).squareRoot()
    }
}
