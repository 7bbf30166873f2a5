import Foundation
import Generation
import KVCache
import Model
import Tokenizer

/// The attention matrix of one (layer, query head) over a prompt, or over prompt + generated text
/// (methods.md §6.2): row i is the attention of the token at position i, over key positions 0...i.
public struct AttentionMatrix: Sendable {
    public var size: Int
    public var promptTokens: Int
    /// Row-major size × size probabilities (zero above the diagonal).
    public var values: [Float]
}

public enum AttentionMapAnalysis {
    /// Prefills `prompt` (and decodes `maxTokens` greedy tokens when > 0) with a full cache and
    /// records every query row of `layer`/`head`; `sampling` draws the generated tokens and
    /// `elementType` is the cache's row storage.
    public static func run(model: LlamaModel, tokenizer: Tokenizer, prompt: [Int32], maxTokens: Int,
                           layer: Int, head: Int, sampling: SamplingOptions = .greedy,
                           elementType: KVElementType = .f32) throws -> AttentionMatrix {
        guard layer >= 0, layer < model.config.blockCount else {
            throw AnalysisError("layer \(layer) is out of range 0..<\(model.config.blockCount)")
        }
        guard head >= 0, head < model.config.headCount else {
            throw AnalysisError("head \(head) is out of range 0..<\(model.config.headCount)")
        }
        guard maxTokens >= 0 else { throw AnalysisError("max tokens must be ≥ 0, got \(maxTokens)") }
        let last = prompt.count + max(maxTokens - 1, 0)
        let recorder = RowRecorder(layers: [layer], queryPositions: (0..<last).map { Int32($0) }, heads: [head])
        model.observer = recorder
        defer { model.observer = nil }
        let cache = try KVCache(shape: model.cacheShape, config: .fullKV, maxNewTokens: max(maxTokens, 1),
                                elementType: elementType)
        if maxTokens == 0 {
            _ = try model.forward(tokens: prompt, startPosition: 0, cache: cache)
        } else {
            _ = try Generator(model: model, tokenizer: tokenizer).generate(prompt: prompt, maxTokens: maxTokens,
                                                                           sampling: sampling, cache: cache)
        }
        var size = 0
        while size < last, recorder.recorded(layer: layer, queryPosition: Int32(size)) { size += 1 }
        var values = [Float](repeating: 0, count: size * size)
        for i in 0..<size {
            if let r = recorder.row(layer: layer, queryPosition: Int32(i), head: head) {
                for j in r.indices { values[i * size + j] = r[j] }
            }
        }
        return AttentionMatrix(size: size, promptTokens: prompt.count, values: values)
    }
}
