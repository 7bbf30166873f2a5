import Testing
@testable import KVCache

@Suite("MorphKV")
struct MorphKVTests {
    /// methods-after-scope.md §4.3 (c): G = 1, R = 2, C = 4, w = 2; candidates 0..3 scored by the
    /// queries at positions 4 and 5 (one-hot keys, queries = logits / scale). max_fused keeps
    /// {1, 2}, sum_fused {0, 2}; with the newest two rows that is the reference's set before token 6.
    @Test("keeps the newest w rows and the older rows the last w queries attend to most", arguments: [("max", Set([1, 2, 4, 5])), ("sum", Set([0, 2, 4, 5]))])
    func workedExample(fusion: String, expected: Set<Int>) throws {
        let d = 4
        let shape = CacheShape(layers: 1, queryHeads: 2, kvHeads: 1, headDim: d)
        let config = CompressionConfig(decoding: DecodingMethodKind(name: "morphkv")!,
                                       parameters: ["query-window": "2", "capacity": "4", "fusion": fusion])
        let cache = try KVCache(shape: shape, config: config, maxNewTokens: 2)
        let layer = cache.layers[0], zero = [Float](repeating: 0, count: d)
        for p in 0..<5 { layer.append(kvHead: 0, key: p < 4 ? (0..<d).map { $0 == p ? Float(1) : Float(0) } : zero, value: zero, position: Int32(p)) }
        try cache.finishPrefill(layer: 0, scores: nil)
        let scale: Float = 0.5   // 1/√d
        let q4: [Float] = [2, 0, 1, 0, 0, 2, 0, 0].map { $0 / scale }
        let q5: [Float] = [0, 0, 2.5, 1, 1, 0, 0, 0].map { $0 / scale }
        q4.withUnsafeBufferPointer { cache.recordQuery(layer: 0, $0.baseAddress!, position: 4) }
        layer.append(kvHead: 0, key: zero, value: zero, position: 5)
        q5.withUnsafeBufferPointer { cache.recordQuery(layer: 0, $0.baseAddress!, position: 5) }
        #expect(!cache.wantsDecodeProbabilities(layer: 0))
        let outcome = try cache.finishDecodeStep(layer: 0, probabilities: nil)
        #expect(outcome.cacheLengthAfter == 4)
        #expect(Set(layer.orderedPositions(0)) == expected)
        #expect(KVMemory.rowsAfterDecoding(shape: shape, config: config, promptLength: 5, decodeSteps: 1, maxNewTokens: 2) == [4])
    }

    @Test("rejects a capacity not above the window and an unknown fusion")
    func validation() {
        let m = DecodingMethodKind(name: "morphkv")!
        #expect(throws: KVCacheError.self) { try CompressionConfig(decoding: m, parameters: ["query-window": "8", "capacity": "8"]).validate() }
        #expect(throws: KVCacheError.self) { try CompressionConfig(decoding: m, parameters: ["fusion": "mean"]).validate() }
    }
}
