import Testing
@testable import KVCache

/// Sliding-window layers (Gemma 3's local layers) beside compressed global layers.
struct SlidingWindowTests {
    /// Drives prefill and decoding like the model (rows appended, probabilities when asked) and
    /// returns the rows each layer held while attending at every step.
    func run(shape: CacheShape, config: CompressionConfig, n: Int, steps: Int) throws -> (cache: KVCache, attended: [[Int]]) {
        let cache = try KVCache(shape: shape, config: config, maxNewTokens: steps)
        let d = shape.headDim
        func append(_ l: Int, _ pos: Int) {
            let row = [Float](repeating: Float(pos), count: d)
            for g in 0..<shape.kvHeads { cache.layers[l].append(kvHead: g, key: row, value: row, position: Int32(pos)) }
        }
        for l in 0..<shape.layers {
            for pos in 0..<n { append(l, pos) }
            let request = cache.prefillRequest(layer: l)
            var scores = PrefillScores(request: request, queryHeads: shape.queryHeads)
            for i in scores.columnSums.indices { scores.columnSums[i] = Float((i * 7919) % 13) }
            for i in scores.windowProbabilities.indices { scores.windowProbabilities[i] = Float((i * 104729) % 11) }
            try cache.finishPrefill(layer: l, scores: scores)
        }
        var attended: [[Int]] = []
        for t in 0..<steps {
            var rows: [Int] = []
            for l in 0..<shape.layers {
                append(l, n + t)
                let layer = cache.layers[l]
                rows.append(layer.maxCount)
                if let w = shape.window(layer: l) {
                    // Every stored row is inside the window of the new query.
                    for s in 0..<layer.storageHeads {
                        for j in 0..<layer.count(s) { #expect(Int(layer.positions(s)[j]) > n + t - w) }
                    }
                }
                var probabilities: [Float]? = nil
                if cache.wantsDecodeProbabilities(layer: l) {
                    probabilities = (0..<(shape.queryHeads * layer.maxCount)).map { Float(($0 * 31 + t) % 17) }
                }
                if let probabilities {
                    _ = try probabilities.withUnsafeBufferPointer { try cache.finishDecodeStep(layer: l, probabilities: $0) }
                } else {
                    try cache.finishDecodeStep(layer: l, probabilities: nil)
                }
            }
            attended.append(rows)
        }
        return (cache, attended)
    }

    static let shape = CacheShape(layers: 6, queryHeads: 4, kvHeads: 1, headDim: 8,
                                  layerWindows: [32, 32, 32, 32, 32, nil])

    @Test("local layers attend over exactly their window; global layers keep the method's bound; peak bytes equal the formula",
          arguments: [CompressionConfig(),
                      CompressionConfig(prefill: .h2o, decoding: .slide, prefillBudget: 24, decodingWindow: 16, recent: 8),
                      CompressionConfig(prefill: .snapKV, decoding: .h2o, prefillBudget: 24, decodingWindow: 16, recent: 8)])
    func windowAndMethod(config: CompressionConfig) throws {
        let n = 100, steps = 90, shape = Self.shape
        let (cache, attended) = try run(shape: shape, config: config, n: n, steps: steps)
        for rows in attended {
            for l in 0..<5 { #expect(rows[l] == 32) }
        }
        let formula = KVMemory.rowsAfterDecoding(shape: shape, config: config, promptLength: n, decodeSteps: steps, maxNewTokens: steps)
        #expect(cache.tokensPerLayer == formula)
        for l in 0..<5 { #expect(cache.tokensPerLayer[l] == 31) }
        if config.decoding == .none {
            #expect(cache.tokensPerLayer[5] == n + steps)
        } else {
            #expect(cache.tokensPerLayer[5] <= config.prefillBudget + config.decodingWindow)
        }
        #expect(cache.bytesPeak == KVMemory.expectedPeakBytes(shape: shape, config: config, promptLength: n,
                                                               decodeSteps: steps, maxNewTokens: steps))
        #expect(cache.layerKinds == ["local", "local", "local", "local", "local", "global"])
    }

    @Test("a prompt shorter than the window keeps every row")
    func shortPrompt() throws {
        let (cache, _) = try run(shape: Self.shape, config: CompressionConfig(), n: 10, steps: 5)
        #expect(cache.tokensPerLayer == [15, 15, 15, 15, 15, 15])
    }

    @Test("reference semantics are refused for a model with sliding-window layers")
    func referenceRefused() {
        #expect(throws: KVCacheError.self) {
            _ = try KVCache(shape: Self.shape, config: CompressionConfig(semantics: .reference, prefill: .h2o, prefillBudget: 24),
                            maxNewTokens: 4)
        }
    }

    @Test("a window list of the wrong length or a window below 2 is an invalid shape")
    func invalidWindows() {
        #expect(throws: KVCacheError.self) { try CacheShape(layers: 2, queryHeads: 1, kvHeads: 1, headDim: 4, layerWindows: [8]).validate() }
        #expect(throws: KVCacheError.self) { try CacheShape(layers: 1, queryHeads: 1, kvHeads: 1, headDim: 4, layerWindows: [1]).validate() }
    }
}
