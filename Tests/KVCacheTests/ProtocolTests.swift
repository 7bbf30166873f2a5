import Testing
@testable import KVCache

@Suite("Model protocol")
struct ProtocolTests {
    let zero = [Float](repeating: 0, count: 4)

    @Test("protocol violations throw errors naming the layer and the problem")
    func violations() throws {
        let shape = CacheShape(layers: 2, queryHeads: 2, kvHeads: 1, headDim: 4)
        let config = CompressionConfig(prefill: .snapKV, decoding: .slide, prefillBudget: 6, window: 2, decodingWindow: 4, recent: 1)
        let cache = try KVCache(shape: shape, config: config, maxNewTokens: 20)
        for p in 0..<10 { cache.layers[0].append(kvHead: 0, key: zero, value: zero, position: Int32(p)) }
        #expect(cache.prefillRequest(layer: 0).kind == .windowProbabilities)
        do { try cache.finishPrefill(layer: 0, scores: nil); Issue.record("missing scores accepted") } catch let e as KVCacheError {
            #expect(e.description.contains("layer 0") && e.description.contains("windowProbabilities"))
        }
        try cache.finishPrefill(layer: 0, scores: PrefillScores(request: cache.prefillRequest(layer: 0), queryHeads: 2))
        #expect(throws: KVCacheError.self) { try cache.finishPrefill(layer: 0, scores: nil) }
        #expect(throws: KVCacheError.self) { try cache.finishDecodeStep(layer: 1, probabilities: nil) }   // layer 1 never prefilled
        for t in 0..<8 {
            cache.layers[0].append(kvHead: 0, key: zero, value: zero, position: Int32(10 + t))
            if cache.wantsDecodeProbabilities(layer: 0) {
                do { try cache.finishDecodeStep(layer: 0, probabilities: nil); Issue.record("missing probabilities accepted") } catch let e as KVCacheError {
                    #expect(e.description.contains("probabilities"))
                }
                return
            }
            try cache.finishDecodeStep(layer: 0, probabilities: nil)
        }
        Issue.record("slide never asked for probabilities")
    }

    /// Scores that depend only on a row's position (distinct values).
    func score(_ position: Int) -> Float { Float((position * 37) % 101) / 101 }

    @Test("corrected decoding reads each physical row's own probability after rows were moved")
    func correctedUsesPhysicalRows() throws {
        let shape = CacheShape(layers: 1, queryHeads: 3, kvHeads: 1, headDim: 4)
        let n = 6, dw = 5, dr = 2
        let config = CompressionConfig(semantics: .corrected, decoding: .h2o, decodingWindow: dw, recent: dr)
        let cache = try KVCache(shape: shape, config: config, maxNewTokens: 60)
        let layer = cache.layers[0]
        for p in 0..<n { layer.append(kvHead: 0, key: zero, value: zero, position: Int32(p)) }
        try cache.finishPrefill(layer: 0, scores: nil)
        var expected = Set(0..<n)
        for t in 0..<50 {
            let pos = n + t
            layer.append(kvHead: 0, key: zero, value: zero, position: Int32(pos))
            expected.insert(pos)
            let kLen = layer.count(0)
            var probs = [Float](repeating: 0, count: 3 * kLen)
            for h in 0..<3 { for row in 0..<kLen { probs[h * kLen + row] = score(Int(layer.positions(0)[row])) } }
            try probs.withUnsafeBufferPointer { _ = try cache.finishDecodeStep(layer: 0, probabilities: $0) }
            // independent rule: keep the dr newest + the (n + dw − dr) best-scored others
            if expected.count >= n + dw {
                let recent = Set((pos - dr + 1)...pos)
                let others = expected.subtracting(recent).sorted { score($0) > score($1) }
                expected = recent.union(others.prefix(n + dw - dr))
            }
            #expect(Set(layer.orderedPositions(0)) == expected, "step \(t)")
        }
    }
}
