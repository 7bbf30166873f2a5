import Testing
@testable import KVCache

@Suite("TOVA")
struct TOVATests {
    /// methods-after-scope.md §1.3 (c): H = 2 query heads on one KV head, K = 4, prompt n = 6.
    /// Prefill keeps {0, 1, 3, 5} (the window of 1 holds position 5, which the mean ranks first
    /// anyway); the decode step with dw = 0 (cache size stays 4) evicts position 1.
    @Test("prefill and decoding keep the rows the current query attends to most (group mean)")
    func workedExample() throws {
        let shape = CacheShape(layers: 1, queryHeads: 2, kvHeads: 1, headDim: 2)
        let config = CompressionConfig(prefill: PrefillMethodKind(name: "tova")!, decoding: DecodingMethodKind(name: "tova")!,
                                       prefillBudget: 4, window: 1, decodingWindow: 0, recent: 0)
        let cache = try KVCache(shape: shape, config: config, maxNewTokens: 4)
        let layer = cache.layers[0]
        for p in 0..<6 { layer.append(kvHead: 0, key: [0, 0], value: [0, 0], position: Int32(p)) }
        let request = cache.prefillRequest(layer: 0)
        #expect(request.kind == .windowProbabilities && request.window == 1)
        var scores = PrefillScores(request: request, queryHeads: 2)
        scores.windowProbabilities = [0.40, 0.05, 0.10, 0.15, 0.05, 0.25,
                                      0.20, 0.25, 0.05, 0.12, 0.08, 0.30]
        try cache.finishPrefill(layer: 0, scores: scores)
        #expect(layer.orderedPositions(0) == [0, 1, 3, 5])

        layer.append(kvHead: 0, key: [0, 0], value: [0, 0], position: 6)
        #expect(cache.wantsDecodeProbabilities(layer: 0))
        let probabilities: [Float] = [0.30, 0.10, 0.20, 0.15, 0.25,
                                      0.20, 0.05, 0.30, 0.15, 0.30]
        let outcome = try probabilities.withUnsafeBufferPointer { try cache.finishDecodeStep(layer: 0, probabilities: $0) }
        #expect(outcome.cacheLengthAfter == 4)
        #expect(Set(layer.orderedPositions(0)) == [0, 3, 5, 6])
        #expect(KVMemory.rowsAfterDecoding(shape: shape, config: config, promptLength: 6, decodeSteps: 3, maxNewTokens: 4) == [4])
    }

    @Test("the decoding bound holds over many steps and the newest row can be evicted")
    func bound() throws {
        let shape = CacheShape(layers: 1, queryHeads: 2, kvHeads: 1, headDim: 2)
        let config = CompressionConfig(decoding: DecodingMethodKind(name: "tova")!, decodingWindow: 2, recent: 0)
        let cache = try KVCache(shape: shape, config: config, maxNewTokens: 10)
        let layer = cache.layers[0]
        for p in 0..<3 { layer.append(kvHead: 0, key: [0, 0], value: [0, 0], position: Int32(p)) }
        try cache.finishPrefill(layer: 0, scores: nil)
        for t in 0..<6 {
            layer.append(kvHead: 0, key: [0, 0], value: [0, 0], position: Int32(3 + t))
            let k = layer.count(0)
            // every head attends least to the newest row
            var p = [Float](repeating: 1, count: 2 * k)
            p[k - 1] = 0; p[2 * k - 1] = 0
            let wants = cache.wantsDecodeProbabilities(layer: 0)
            #expect(wants == (k > 5))
            _ = try p.withUnsafeBufferPointer { try cache.finishDecodeStep(layer: 0, probabilities: wants ? $0 : nil) }
            #expect(layer.count(0) == min(k, 5))
            if k > 5 { #expect(!layer.orderedPositions(0).contains(3 + t)) }
        }
    }
}
