import Foundation
import Testing
@testable import KVCache

@Suite("Knorm")
struct KnormTests {
    /// methods-after-scope.md §5 (c): G = 2, n = 6, keep 4 — here P = 4 with a window of 1 (the
    /// newest row, whose norm is never the largest in the example, so the kept sets are the same).
    @Test("keeps the smallest-norm keys per KV head, with no attention statistics")
    func workedExample() throws {
        let shape = CacheShape(layers: 1, queryHeads: 2, kvHeads: 2, headDim: 2)
        let config = CompressionConfig(prefill: PrefillMethodKind(name: "knorm")!, prefillBudget: 4, window: 1)
        let cache = try KVCache(shape: shape, config: config, maxNewTokens: 0)
        let norms: [[Float]] = [[3.0, 1.0, 2.5, 0.5, 4.0, 1.5], [1.0, 2.0, 3.0, 4.0, 0.5, 2.5]]
        for p in 0..<6 {
            for g in 0..<2 {
                // a rotated key of the given norm: the score must not depend on the direction
                let a = Float(p + g), key: [Float] = [norms[g][p] * Float(cos(Double(a))), norms[g][p] * Float(sin(Double(a)))]
                cache.layers[0].append(kvHead: g, key: key, value: [0, 0], position: Int32(p))
            }
        }
        #expect(cache.prefillRequest(layer: 0).kind == .none)
        try cache.finishPrefill(layer: 0, scores: nil)
        #expect(Set(cache.layers[0].orderedPositions(0)) == [1, 2, 3, 5])
        #expect(Set(cache.layers[0].orderedPositions(1)) == [0, 1, 4, 5])
        #expect(KVMemory.rowsAfterPrefill(config: config, layers: 1, promptLength: 6) == [4])
    }
}
