import Testing
import GGUF
import Kernels
import KVCache
import Model
import ScopeTestSupport

/// Switching a model to 8-bit activations repacks its Q4_1 and Q8_0 matrices (`PackedMatrix`) and lets
/// the file's pages of them go; prefill, which stays float32, must then read the packed copy and
/// give exactly what the unpacked model gives.
@Suite(.serialized, .needsDefaultModel)
struct PackedWeightsTests {
    @Test("q8 mode packs the Q4_1 and Q8_0 matrices, and prefill from the packed copies is bit-identical to the file's")
    func prefillUnchanged() throws {
        let path = try #require(DefaultModel.path())
        let plain = try LlamaModel(path: path)
        let packed = try LlamaModel(path: path)
        packed.activations = .q8
        let block = packed.weights.blocks[0]
        for w in [block.wq, block.wk, block.wv, block.wo, block.wGate, block.wUp, block.wDown, packed.weights.output] {
            #expect((w.packed != nil) == PackedMatrix.isPackable(w.type, rows: w.rows, cols: w.cols), "\(w.name) \(w.type.name)")
        }
        #expect(plain.weights.blocks[0].wq.packed == nil)
        let tokens = (0..<70).map { Int32(($0 * 37 + 11) % 4000) }
        func prefill(_ model: LlamaModel) throws -> [Float] {
            let cache = try KVCache(shape: model.cacheShape, config: .fullKV, maxNewTokens: 1)
            return try model.forward(tokens: tokens, startPosition: 0, cache: cache)
        }
        let a = try prefill(plain), b = try prefill(packed)
        #expect(a.count == b.count)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        // Prefill logits read the (packed) output head through float32 panels: also unchanged.
        let rows = (tokens.count - 3)..<tokens.count
        #expect(plain.logits(hidden: a, rows: rows).map(\.bitPattern) == packed.logits(hidden: b, rows: rows).map(\.bitPattern))
    }
}
