import Testing
@testable import KVCache
import ScopeTestSupport

@Suite("Configuration and semantics")
struct SemanticsTests {
    let shape = CacheShape(layers: 2, queryHeads: 6, kvHeads: 2, headDim: 8)

    func message(_ config: CompressionConfig) -> String? {
        do { try config.validate(); return nil } catch { return String(describing: error) }
    }

    @Test("invalid values and reference-only combinations are rejected with a message naming them")
    func validation() {
        #expect(message(CompressionConfig(prefill: .snapKV, prefillBudget: 8, window: 8))?.contains("--window") == true)
        #expect(message(CompressionConfig(prefill: .snapKV, kernel: 4))?.contains("--kernel") == true)
        #expect(message(CompressionConfig(decoding: .slide, decodingWindow: 64, recent: 64))?.contains("--decoding-window") == true)
        #expect(message(CompressionConfig(decoding: .adaptive, delta: 0))?.contains("--delta") == true)
        #expect(message(CompressionConfig(prefill: .pyramidKV, beta: 0))?.contains("--beta") == true)
        #expect(message(CompressionConfig(decoding: .slide, recent: -1))?.contains("--recent") == true)
        let refBad = message(CompressionConfig(semantics: .reference, prefill: .snapKV, decoding: .h2o))
        #expect(refBad?.contains("reference semantics") == true && refBad?.contains("h2o") == true)
        #expect(message(CompressionConfig(semantics: .reference, prefill: .streamingLLM, decoding: .slide)) != nil)
        // corrected semantics accepts any prefill with any decoding
        for p in PrefillMethodKind.allCases { for d in DecodingMethodKind.allCases {
            #expect(message(CompressionConfig(semantics: .corrected, prefill: p, decoding: d)) == nil)
        } }
        #expect(throws: KVCacheError.self) { try KVCache(shape: CacheShape(layers: 1, queryHeads: 5, kvHeads: 2, headDim: 4), config: .fullKV, maxNewTokens: 1) }
    }

    @Test("delta: paper formula by default, 15 for reference SnapKV/PyramidKV, explicit value wins")
    func deltaRules() {
        let h2o = CompressionConfig(semantics: .reference, prefill: .h2o, decoding: .adaptive, decodingWindow: 512, recent: 256)
        #expect(h2o.resolvedDelta(maxNewTokens: 4096) == 15)
        #expect(CompressionConfig(semantics: .reference, prefill: .h2o, decoding: .adaptive, decodingWindow: 1024, recent: 256).resolvedDelta(maxNewTokens: 7950) == 10)
        let snap = CompressionConfig(semantics: .reference, prefill: .snapKV, decoding: .adaptive, decodingWindow: 1024, recent: 256)
        #expect(snap.resolvedDelta(maxNewTokens: 4096) == 15)
        var corrected = snap; corrected.semantics = .corrected
        #expect(corrected.resolvedDelta(maxNewTokens: 4096) == 5)
        var explicit = snap; explicit.delta = 3
        #expect(explicit.resolvedDelta(maxNewTokens: 4096) == 3)
        #expect(CompressionConfig(decoding: .adaptive, decodingWindow: 512, recent: 256).resolvedDelta(maxNewTokens: 64) == 1)
    }

    /// Runs one sequence (prompt `n`, `steps` decoding steps) with equal scores; returns the outcomes of layer 0.
    func runSequence(_ config: CompressionConfig, counters: ReferenceCounters?, n: Int = 24, steps: Int = 30) throws -> [DecodeOutcome] {
        let cache = try KVCache(shape: shape, config: config, maxNewTokens: steps + 1, counters: counters)
        let zero = [Float](repeating: 0, count: 8)
        for l in 0..<2 {
            for p in 0..<n { for g in 0..<2 { cache.layers[l].append(kvHead: g, key: zero, value: zero, position: Int32(p)) } }
            let request = cache.prefillRequest(layer: l)
            try cache.finishPrefill(layer: l, scores: PrefillScores(request: request, queryHeads: 6))
        }
        var outcomes: [DecodeOutcome] = []
        for t in 0..<steps {
            for l in 0..<2 {
                for g in 0..<2 { cache.layers[l].append(kvHead: g, key: zero, value: zero, position: Int32(n + t)) }
                let kLen = cache.layers[l].count(0)
                let probs = [Float](repeating: 1 / Float(kLen), count: 6 * kLen)
                let o = try probs.withUnsafeBufferPointer { try cache.finishDecodeStep(layer: l, probabilities: $0) }
                if l == 0 { outcomes.append(o) }
            }
        }
        return outcomes
    }

    @Test("reference SnapKV counters carry over between sequences of a run; corrected counters are per sequence")
    func counterScopes() throws {
        let reference = CompressionConfig(semantics: .reference, prefill: .snapKV, decoding: .adaptive, prefillBudget: 16, window: 4,
                                          decodingWindow: 12, recent: 4, delta: 2)
        let run = ReferenceCounters()
        let first = try runSequence(reference, counters: run)
        let second = try runSequence(reference, counters: run)
        #expect(first.map(\.dws) != second.map(\.dws))
        #expect(second.first?.dws == 4 + (30 * 2) / (2 * 2))
        #expect(run[.snapKV].S == 2 * 30 * 2)
        // a fresh counters object per sequence reproduces the first run
        #expect(try runSequence(reference, counters: ReferenceCounters()).map(\.dws) == first.map(\.dws))
        var corrected = reference; corrected.semantics = .corrected
        let a = try runSequence(corrected, counters: run), b = try runSequence(corrected, counters: run)
        #expect(a == b)
        #expect(a.map(\.dws) == (0..<30).map { 4 + $0 / 2 })
    }

    @Test("reference H2O resets S and J at prefill, so two sequences behave alike")
    func h2oResets() throws {
        let config = CompressionConfig(semantics: .reference, prefill: .h2o, decoding: .discontinuous, prefillBudget: 16, window: 4,
                                       decodingWindow: 12, recent: 4, delta: 2)
        let run = ReferenceCounters()
        let first = try runSequence(config, counters: run).map(\.branch)
        let second = try runSequence(config, counters: run).map(\.branch)
        #expect(first.contains(.skip) && first.contains(.compress))
        // Jl is not reset, but it returns to 0 after each full sweep, so the sequences match
        #expect(first == second)
    }

    @Test("the GQA-native cache stores 1/R of the reference bytes for the same configuration")
    func gqaBytes() throws {
        let shape = CacheShape(layers: 3, queryHeads: 9, kvHeads: 3, headDim: 16)
        var config = CompressionConfig(semantics: .reference, prefill: .h2o, decoding: .slide, prefillBudget: 40, window: 8,
                                       decodingWindow: 24, recent: 8)
        var peaks: [Int] = []
        for semantics in [Semantics.reference, .corrected] {
            config.semantics = semantics
            var driver = RandomDriver(shape: shape, config: config, n: 100, steps: 60, rng: SeededRandom(seed: 9))
            let cache = try driver.run()
            #expect(driver.failures.count == 0, "\(driver.failures.prefix(2))")
            peaks.append(cache.bytesPeak)
            #expect(cache.bytesPeak == KVMemory.expectedPeakBytes(shape: shape, config: config, promptLength: 100, decodeSteps: 60, maxNewTokens: 61))
        }
        #expect(peaks[0] == 3 * peaks[1])
    }

    @Test("corrected group reduction: mean and max pick different rows when query heads disagree")
    func groupReduce() throws {
        let shape = CacheShape(layers: 1, queryHeads: 2, kvHeads: 1, headDim: 4)
        func kept(_ reduce: GroupReduce) throws -> [Int32] {
            let config = CompressionConfig(semantics: .corrected, prefill: .h2o, prefillBudget: 3, window: 1, groupReduce: reduce)
            let cache = try KVCache(shape: shape, config: config, maxNewTokens: 1)
            let zero = [Float](repeating: 0, count: 4)
            for p in 0..<5 { cache.layers[0].append(kvHead: 0, key: zero, value: zero, position: Int32(p)) }
            var scores = PrefillScores(request: cache.prefillRequest(layer: 0), queryHeads: 2)
            #expect(cache.prefillRequest(layer: 0).kind == .causalColumnSums)
            scores.columnSums = [0.75, 0.0, 0.5, 0.5, 0,   // head 0
                                 0.0, 0.25, 0.5, 0.5, 0]   // head 1: means .375 .125 .5 .5; maxes .75 .25 .5 .5
            try cache.finishPrefill(layer: 0, scores: scores)
            return (0..<cache.layers[0].count(0)).map { cache.layers[0].positions(0)[$0] }
        }
        #expect(try kept(.mean) == [2, 3, 4])
        #expect(try kept(.max) == [0, 2, 4])
    }

    @Test("the documented SmolLM2 example: H2O P=512 + slide 256/64, 2048 + 2048 tokens")
    func smolLMPeakFormula() {
        let shape = CacheShape(layers: 30, queryHeads: 9, kvHeads: 3, headDim: 64)
        var config = CompressionConfig(semantics: .reference, prefill: .h2o, decoding: .slide, prefillBudget: 512,
                                       decodingWindow: 256, recent: 64)
        #expect(KVMemory.expectedPeakBytes(shape: shape, config: config, promptLength: 2048, decodeSteps: 2047, maxNewTokens: 2048) == 106_172_928)
        config.semantics = .corrected
        #expect(KVMemory.expectedPeakBytes(shape: shape, config: config, promptLength: 2048, decodeSteps: 2047, maxNewTokens: 2048) == 35_390_976)
        #expect(KVMemory.rowsAfterDecoding(shape: shape, config: config, promptLength: 2048, decodeSteps: 2047, maxNewTokens: 2048)
                == Array(repeating: 768, count: 30))
    }
}
