import Testing
@testable import KVCache
import ScopeTestSupport

/// `KVCache.forked`: a fork taken after the prefill behaves, step for step, like a cache that ran
/// the same prefill itself with the fork's `maxNewTokens`; a fork taken mid-decoding behaves like
/// the cache it copies; and the original never changes when its fork does.
@Suite struct KVCacheForkTests {
    /// Feeds identical rows, statistics and queries to several caches (all inputs are drawn once
    /// per call and given to each cache).
    struct TwinDriver {
        let shape: CacheShape
        var rng: SeededRandom

        mutating func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float(Int.random(in: -64...64, using: &rng)) / 16 } }
        /// Coarse scores: many exact ties, so a tie-breaking difference would show.
        mutating func scores(_ count: Int) -> [Float] { (0..<count).map { _ in Float(Int.random(in: 0..<6, using: &rng)) / 8 } }

        mutating func prefill(_ caches: [KVCache], n: Int) throws {
            for l in 0..<shape.layers {
                for pos in 0..<n { try appendRow(caches, layer: l, position: pos) }
                let window = caches[0].queryWindow
                for pos in max(0, n - window)..<n where window > 0 && !caches[0].isWindowed(layer: l) {
                    let q = values(shape.queryHeads * shape.headDim)
                    for c in caches { c.recordQuery(layer: l, q, position: Int32(pos)) }
                }
                let request = caches[0].prefillRequest(layer: l)
                var s = PrefillScores(request: request, queryHeads: shape.queryHeads)
                s.windowProbabilities = scores(s.windowProbabilities.count)
                s.columnSums = scores(s.columnSums.count)
                for c in caches { try c.finishPrefill(layer: l, scores: s) }
            }
        }

        mutating func step(_ caches: [KVCache], position pos: Int) throws {
            for l in 0..<shape.layers {
                try appendRow(caches, layer: l, position: pos)
                if caches[0].queryWindow > 0 && !caches[0].isWindowed(layer: l) {
                    let q = values(shape.queryHeads * shape.headDim)
                    for c in caches { c.recordQuery(layer: l, q, position: Int32(pos)) }
                }
                let wants = caches.map { $0.wantsDecodeProbabilities(layer: l) }
                #expect(Set(wants).count == 1, "the caches disagree on wanting probabilities at layer \(l)")
                let probabilities = wants[0] ? scores(shape.queryHeads * caches[0].layers[l].maxCount) : nil
                for c in caches {
                    if let probabilities {
                        try probabilities.withUnsafeBufferPointer { _ = try c.finishDecodeStep(layer: l, probabilities: $0) }
                    } else {
                        try c.finishDecodeStep(layer: l, probabilities: nil)
                    }
                }
            }
        }

        private mutating func appendRow(_ caches: [KVCache], layer l: Int, position pos: Int) throws {
            for g in 0..<shape.kvHeads {
                let k = values(shape.headDim), v = values(shape.headDim)
                for c in caches { c.layers[l].append(kvHead: g, key: k, value: v, position: Int32(pos)) }
            }
        }
    }

    /// Everything a later step or the model can read: per layer and storage head the stored K and V
    /// bit patterns, positions, logical order; the byte figures.
    struct State: Equatable {
        var rows: [[UInt32]] = []
        var positions: [[Int32]] = []
        var order: [[Int]] = []
        var bytesCurrent = 0, bytesPeak = 0

        init(_ cache: KVCache) {
            for layer in cache.layers {
                for s in 0..<layer.storageHeads {
                    let n = layer.count(s) * layer.headDim
                    rows.append(UnsafeBufferPointer(start: layer.keys(s), count: n).map(\.bitPattern)
                                + UnsafeBufferPointer(start: layer.values(s), count: n).map(\.bitPattern))
                    positions.append(Array(UnsafeBufferPointer(start: layer.positions(s), count: layer.count(s))))
                    order.append(layer.orderedPositions(s))
                }
            }
            bytesCurrent = cache.bytesCurrent
            bytesPeak = cache.bytesPeak
        }
    }

    @Test("a fork after the prefill decodes exactly like a cache that prefilled itself, every method and semantics", arguments: 0..<4)
    func forkAfterPrefill(batch: Int) throws {
        var ran = 0
        for trial in (batch * 40)..<((batch + 1) * 40) {
            var rng = SeededRandom(seed: UInt64(9_000 + trial))
            let (shape, config, n, steps) = PropertyTests.randomCase(&rng)
            let elementType: KVElementType = shape.headDim % 2 == 0 && trial % 2 == 1 ? .f16 : .f32
            let otherMax = Int.random(in: 0...80, using: &rng)
            let context = "trial \(trial): \(config) n=\(n) steps=\(steps) shape=\(shape) \(elementType)"
            // `original` has another max-new-tokens (another δ); `alone` has the fork's.
            let original = try KVCache(shape: shape, config: config, maxNewTokens: otherMax, elementType: elementType)
            let alone = try KVCache(shape: shape, config: config, maxNewTokens: steps + 1, elementType: elementType)
            var driver = TwinDriver(shape: shape, rng: SeededRandom(seed: UInt64(trial)))
            do {
                try driver.prefill([original, alone], n: n)
            } catch KVCacheError.referenceRaises {
                // reference PyramidInfer with P <= n < P + w raises, as the reference does (PropertyTests)
                #expect(config.semantics == .reference && config.prefill == .pyramidInfer)
                continue
            }
            ran += 1
            let fork = try original.forked(maxNewTokens: steps + 1)
            let originalAfterPrefill = State(original)
            #expect(State(fork) == State(alone), "\(context): the fork differs right after the prefill")
            #expect(fork.delta == alone.delta && fork.maxNewTokens == alone.maxNewTokens, "\(context)")
            var midFork: KVCache?
            for t in 0..<steps {
                try driver.step([fork, alone] + (midFork.map { [$0] } ?? []), position: n + t)
                guard State(fork) == State(alone) else {
                    Issue.record("\(context): the fork differs after step \(t)")
                    break
                }
                if let midFork, State(midFork) != State(alone) {
                    Issue.record("\(context): the fork taken after step \(steps / 2) differs after step \(t)")
                    break
                }
                // a fork mid-decoding, with the same max-new-tokens, follows the cache it copies
                if t == steps / 2 { midFork = try alone.forked(maxNewTokens: steps + 1) }
            }
            #expect(State(original) == originalAfterPrefill, "\(context): decoding the fork changed the original")
        }
        #expect(ran > 30)
    }

    @Test("a fork keeps the prompt's recent queries for the methods that score with them", arguments: ["morphkv", "rkv", "snapkv-d"])
    func recentQueriesAreCopied(method: String) throws {
        let shape = CacheShape(layers: 2, queryHeads: 4, kvHeads: 2, headDim: 8)
        let config = CompressionConfig(prefill: .snapKV, decoding: DecodingMethodKind(rawValue: method)!, prefillBudget: 12, window: 4,
                                       kernel: 3, decodingWindow: 2, recent: 2,
                                       parameters: ["query-window": "6", method == "morphkv" ? "capacity" : "interval": method == "morphkv" ? "14" : "1"])
        let original = try KVCache(shape: shape, config: config, maxNewTokens: 30)
        let alone = try KVCache(shape: shape, config: config, maxNewTokens: 30)
        #expect(original.queryWindow == 6)
        var driver = TwinDriver(shape: shape, rng: SeededRandom(seed: 11))
        try driver.prefill([original, alone], n: 40)
        let fork = try original.forked(maxNewTokens: 30)
        for t in 0..<6 {   // the prompt's queries leave the ring after 6 steps
            try driver.step([fork, alone], position: 40 + t)
            #expect(State(fork) == State(alone), "\(method): the fork differs after step \(t)")
        }
    }

    @Test("in reference semantics a fork gets its own copy of the shared counters")
    func referenceCountersAreCopied() throws {
        let shape = CacheShape(layers: 2, queryHeads: 4, kvHeads: 2, headDim: 8)
        let config = CompressionConfig(semantics: .reference, prefill: .snapKV, decoding: .discontinuous, prefillBudget: 16, window: 4,
                                       decodingWindow: 12, recent: 4)
        let counters = ReferenceCounters()
        let original = try KVCache(shape: shape, config: config, maxNewTokens: 40, counters: counters)
        var driver = TwinDriver(shape: shape, rng: SeededRandom(seed: 5))
        try driver.prefill([original], n: 30)
        let fork = try original.forked(maxNewTokens: 40)
        #expect(fork.referenceCounters !== counters)
        let before = counters[config.prefill]
        for t in 0..<20 { try driver.step([fork], position: 30 + t) }
        #expect(fork.referenceCounters![config.prefill] != before, "the fork's counters did not move")
        #expect(counters[config.prefill] == before, "the fork's steps moved the original's shared counters")
    }
}
