import Foundation
import Testing
@testable import KVCache

@Suite("R-KV and SnapKV-D")
struct RKVTests {
    /// Feeds `keys` (one KV head) as prompt rows `0..<prompt` (FullKV) then as decoding steps,
    /// recording `queries[p]` (all query heads) at decoding position p; returns the positions kept.
    static func run(_ config: CompressionConfig, shape: CacheShape, keys: [[Float]], prompt: Int, queries: [Int: [Float]]) throws -> [Int] {
        let cache = try KVCache(shape: shape, config: config, maxNewTokens: keys.count)
        let layer = cache.layers[0], zero = [Float](repeating: 0, count: shape.headDim)
        for p in 0..<prompt { layer.append(kvHead: 0, key: keys[p], value: zero, position: Int32(p)) }
        try cache.finishPrefill(layer: 0, scores: nil)
        #expect(cache.queryWindow > 0)
        for p in prompt..<keys.count {
            layer.append(kvHead: 0, key: keys[p], value: zero, position: Int32(p))
            let q = queries[p] ?? [Float](repeating: 0, count: shape.queryHeads * shape.headDim)
            q.withUnsafeBufferPointer { cache.recordQuery(layer: 0, $0.baseAddress!, position: Int32(p)) }
            #expect(!cache.wantsDecodeProbabilities(layer: 0))
            try cache.finishDecodeStep(layer: 0, probabilities: nil)
        }
        #expect(cache.tokensPerLayer == KVMemory.rowsAfterDecoding(shape: shape, config: config, promptLength: prompt,
                                                                     decodeSteps: keys.count - prompt, maxNewTokens: keys.count))
        return layer.orderedPositions(0)
    }

    /// methods-after-scope.md §2.4 (c): G = 1, R = 2, d = 2, six rows, w = 2, B = 4, kernel 3, λ = 0.1.
    /// Here B = Pd + dw = 3 + 1 and the compression fires at position 5 (interval 5).
    @Test("R-KV keeps the newest w rows and the best of importance minus redundancy (worked example)")
    func rkvWorkedExample() throws {
        let shape = CacheShape(layers: 1, queryHeads: 2, kvHeads: 1, headDim: 2)
        let config = CompressionConfig(decoding: DecodingMethodKind(name: "rkv")!, kernel: 3, decodingWindow: 1, recent: 0,
                                       parameters: ["query-window": "2", "lambda": "0.1", "interval": "5"])
        let keys: [[Float]] = [[1, 0], [0, 1], [0.8, 0.6], [1, 0.05], [-1, 0], [0, -1]]
        let kept = try Self.run(config, shape: shape, keys: keys, prompt: 3,
                                queries: [4: [2, 0, 0, 2], 5: [0, 1, 1, 1]])
        #expect(Set(kept) == [2, 3, 4, 5], "kept \(kept)")
    }

    /// methods-after-scope.md §3.4 (c): H = 2, G = 1, eight rows, w = 2, target 5, kernel 3 keeps
    /// {0, 1, 4, 6, 7}; kernel 5 keeps {1, 2, 3, 6, 7}. One-hot keys and queries `√d·ln p` make the
    /// window queries' probabilities exactly the example's.
    @Test("SnapKV-D keeps the newest w rows and the best pooled window attention (worked example)", arguments: [(3, Set([0, 1, 4, 6, 7])), (5, Set([1, 2, 3, 6, 7]))])
    func snapkvWorkedExample(kernel: Int, expected: Set<Int>) throws {
        let d = 8
        let shape = CacheShape(layers: 1, queryHeads: 2, kvHeads: 1, headDim: d)
        let config = CompressionConfig(decoding: DecodingMethodKind(name: "snapkv-d")!, kernel: kernel, decodingWindow: 2, recent: 0,
                                       parameters: ["query-window": "2", "interval": "7"])
        let keys = (0..<8).map { j in (0..<d).map { $0 == j ? Float(1) : 0 } }
        let p: [[[Float]]] = [   // [query position 6, 7][head]
            [[0.30, 0.05, 0.10, 0.05, 0.20, 0.05, 0.25, 1], [0.10, 0.30, 0.05, 0.10, 0.05, 0.10, 0.30, 1]],
            [[0.20, 0.10, 0.05, 0.05, 0.25, 0.05, 0.10, 0.20], [0.10, 0.20, 0.05, 0.05, 0.10, 0.20, 0.10, 0.20]],
        ]
        func query(_ i: Int) -> [Float] { p[i].flatMap { $0.map { Float(d).squareRoot() * logf($0) } } }
        let kept = try Self.run(config, shape: shape, keys: keys, prompt: 3, queries: [6: query(0), 7: query(1)])
        #expect(Set(kept) == expected, "kept \(kept)")
    }

    @Test("rkv and snapkv-d reject bad parameters")
    func validation() {
        for name in ["rkv", "snapkv-d"] {
            let d = DecodingMethodKind(name: name)!
            #expect(throws: KVCacheError.self) { try CompressionConfig(decoding: d, parameters: ["interval": "0"]).validate() }
            #expect(throws: KVCacheError.self) { try CompressionConfig(decoding: d, parameters: ["query-window": "x"]).validate() }
            #expect(throws: KVCacheError.self) { try CompressionConfig(decoding: d, kernel: 4).validate() }
            #expect(throws: Never.self) { try CompressionConfig(decoding: d, parameters: ["interval": "16"]).validate() }
        }
        #expect(throws: KVCacheError.self) { try CompressionConfig(decoding: DecodingMethodKind(name: "rkv")!, parameters: ["lambda": "2"]).validate() }
    }
}
