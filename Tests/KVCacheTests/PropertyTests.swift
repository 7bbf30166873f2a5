import Testing
@testable import KVCache
import ScopeTestSupport

/// Drives a cache like the model would, with random attention statistics, and checks the
/// invariants after every call.
struct RandomDriver {
    let shape: CacheShape
    let config: CompressionConfig
    let n: Int
    let steps: Int
    var rng: SeededRandom
    var failures: [String] = []
    /// Row storage of the driven cache; block-format rows are compared after decoding.
    var elementType: KVElementType = .f32

    func key(_ l: Int, _ pos: Int, _ g: Int) -> [Float] { (0..<shape.headDim).map { Float(l * 7 + g) + Float($0) * 0.5 + Float(pos) * 1000 } }

    mutating func check(_ ok: Bool, _ what: @autoclosure () -> String) { if !ok { failures.append(what()) } }

    mutating func randomScore() -> Float { Float(Int.random(in: 0..<6, using: &rng)) / 8 }  // coarse: many exact ties

    func positions(_ layer: LayerKV, _ s: Int) -> [Int] { layer.orderedPositions(s) }

    /// Checks that every row's key and value belong to its position, that positions are unique and existed.
    mutating func checkRows(_ cache: KVCache, _ l: Int, existing: [Set<Int>], at: String) {
        let layer = cache.layers[l]
        for s in 0..<layer.storageHeads {
            let g = layer.perQueryHead ? s / shape.groupSize : s
            let pos = positions(layer, s)
            check(Set(pos).count == pos.count, "\(at) head \(s): duplicate positions")
            let existed = Set(pos).isSubset(of: existing[s])
            check(existed, "\(at) head \(s): a kept row did not exist")

            let physicalPositions = (0..<layer.count(s)).map { Int(layer.positions(s)[$0]) }
            check(Set(physicalPositions) == Set(pos), "\(at) head \(s): logical order does not cover the physical rows")
            for (row, p) in physicalPositions.enumerated() {
                check(stored(layer, s, row, values: true)[0] == stored(value(p))[0], "\(at) head \(s) row \(row): value not gathered with its key")
                check(stored(layer, s, row, values: false)[1] == stored(key(l, p, g))[1], "\(at) head \(s) row \(row): key does not belong to position \(p)")
            }
        }
    }

    func value(_ pos: Int) -> [Float] {
        var v = [Float](repeating: 0, count: shape.headDim); v[0] = Float(pos)
        return v
    }

    /// Row `row` of storage head `s` as floats (decoded from the cache's element type).
    func stored(_ layer: LayerKV, _ s: Int, _ row: Int, values: Bool) -> [Float] {
        let base = values ? layer.values(s) : layer.keys(s)
        let d = shape.headDim
        switch elementType {
        case .f32: return Array(UnsafeBufferPointer(start: base + row * d, count: d))
        case .f16:
            let raw = UnsafeRawPointer(base + row * layer.headDim)
            return (0..<d).map { Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        case .q8_0, .q4_0:
            var out = [Float](repeating: 0, count: d)
            KVBlockQuantizer.dequantizeRow(elementType, UnsafeRawPointer(base + row * layer.headDim), count: d, into: &out)
            return out
        }
    }

    /// `x` as the cache stores it (rounded to the element type), decoded.
    func stored(_ x: [Float]) -> [Float] {
        switch elementType {
        case .f32: return x
        case .f16: return x.map { Float(Float16($0)) }
        case .q8_0, .q4_0:
            var bytes = [UInt8](repeating: 0, count: elementType.rowBytes(headDim: x.count))
            var out = [Float](repeating: 0, count: x.count)
            bytes.withUnsafeMutableBytes { KVBlockQuantizer.quantizeRow(elementType, x, count: x.count, into: $0.baseAddress!) }
            bytes.withUnsafeBytes { KVBlockQuantizer.dequantizeRow(elementType, $0.baseAddress!, count: x.count, into: &out) }
            return out
        }
    }

    mutating func run() throws -> KVCache {
        let cache = try KVCache(shape: shape, config: config, maxNewTokens: steps + 1, elementType: elementType)
        let L = shape.layers, w = config.effectiveWindow
        let expectedPrefill = KVMemory.rowsAfterPrefill(config: config, layers: L, promptLength: n)
        for l in 0..<L {
            for pos in 0..<n {
                for g in 0..<shape.kvHeads {
                    cache.layers[l].append(kvHead: g, key: key(l, pos, g), value: value(pos), position: Int32(pos))
                }
            }
            let request = cache.prefillRequest(layer: l)
            var scores = PrefillScores(request: request, queryHeads: shape.queryHeads)
            for i in scores.windowProbabilities.indices { scores.windowProbabilities[i] = randomScore() }
            for i in scores.columnSums.indices { scores.columnSums[i] = randomScore() }
            let outcome = try cache.finishPrefill(layer: l, scores: scores)
            let at = "prefill layer \(l)"
            check(outcome.cacheLength == expectedPrefill[l], "\(at): \(outcome.cacheLength) rows, formula \(expectedPrefill[l])")
            checkRows(cache, l, existing: Array(repeating: Set(0..<n), count: cache.layers[l].storageHeads), at: at)
            let layer = cache.layers[l]
            for s in 0..<layer.storageHeads {
                let kept = Set(positions(layer, s))
                if outcome.k != nil {
                    check(Set((n - w)..<n).isSubset(of: kept), "\(at) head \(s): window rows not all kept")
                    if config.prefill == .streamingLLM {
                        check(Set(0..<(config.prefillBudget - w)).isSubset(of: kept), "\(at) head \(s): sink rows not kept")
                    }
                } else {
                    check(kept == Set(0..<n), "\(at) head \(s): uncompressed layer lost rows")
                }
            }
        }
        let prefixPositions = (0..<L).map { l in (0..<cache.layers[l].storageHeads).map { positions(cache.layers[l], $0) } }
        for t in 0..<steps {
            let pos = n + t
            for l in 0..<L {
                let layer = cache.layers[l]
                let before = (0..<layer.storageHeads).map { positions(layer, $0) }
                for g in 0..<shape.kvHeads {
                    layer.append(kvHead: g, key: key(l, pos, g), value: value(pos), position: Int32(pos))
                }
                let kLen = layer.count(0)
                let outcome: DecodeOutcome
                if cache.wantsDecodeProbabilities(layer: l) {
                    var probs = [Float](repeating: 0, count: shape.queryHeads * kLen)
                    for i in probs.indices { probs[i] = randomScore() }
                    outcome = try probs.withUnsafeBufferPointer { try cache.finishDecodeStep(layer: l, probabilities: $0) }
                } else {
                    outcome = try cache.finishDecodeStep(layer: l, probabilities: nil)
                }
                let at = "step \(t) layer \(l)"
                checkRows(cache, l, existing: before.map { Set($0 + [pos]) }, at: at)
                let dr = config.recent
                for s in 0..<layer.storageHeads {
                    let kept = positions(layer, s)
                    let previous = before[s] + [pos]
                    if outcome.branch == .compress || outcome.branch == .uniform || outcome.branch == .pyramid {
                        let recentWanted = outcome.recent
                        if [.slide, .adaptive, .discontinuous, .h2o, .pyramidInfer].contains(config.decoding) {
                            check(recentWanted == dr, "\(at): \(outcome.recent) recent rows protected, --recent \(dr)")
                        }
                        // reference: the last slots; corrected: the newest positions (row order is not kept there)
                        let recentRows = config.semantics == .reference ? previous.suffix(recentWanted) : previous.sorted().suffix(recentWanted)
                        check(Set(recentRows).isSubset(of: Set(kept)), "\(at) head \(s): recent rows not kept")
                        if [.slide, .adaptive, .discontinuous, .slm].contains(config.decoding) {
                            let frozen = config.semantics == .reference
                                ? Array(previous.prefix(cache.decodingPrefix(layer: l)))
                                : prefixPositions[l][s]
                            check(Array(kept.prefix(frozen.count)) == frozen, "\(at) head \(s): frozen prefix changed")
                        }
                    } else {
                        check(kept == previous, "\(at) head \(s): cache changed on branch \(outcome.branch)")
                    }
                }
            }
            let expected = KVMemory.rowsAfterDecoding(shape: shape, config: config, promptLength: n, decodeSteps: t + 1, maxNewTokens: steps + 1)
            check(cache.tokensPerLayer == expected, "after step \(t): rows \(cache.tokensPerLayer), formula \(expected)")
        }
        let peak = KVMemory.expectedPeakBytes(shape: shape, config: config, promptLength: n, decodeSteps: steps, maxNewTokens: steps + 1,
                                              elementType: elementType)
        check(cache.bytesPeak == peak, "bytesPeak \(cache.bytesPeak), formula \(peak)")
        let storageHeads = config.semantics == .reference ? shape.queryHeads : shape.kvHeads
        check(cache.bytesCurrent == cache.tokensPerLayer.reduce(0, +) * storageHeads * cache.rowBytes, "bytesCurrent does not match the rows")
        return cache
    }
}

@Suite("Cache invariants over random shapes and configurations")
struct PropertyTests {
    static func randomCase(_ rng: inout SeededRandom) -> (CacheShape, CompressionConfig, Int, Int) {
        let g = Int.random(in: 1...3, using: &rng), r = Int.random(in: 1...3, using: &rng)
        let shape = CacheShape(layers: Int.random(in: 1...4, using: &rng), queryHeads: g * r, kvHeads: g,
                               headDim: [4, 8, 12].randomElement(using: &rng)!)
        let semantics = Semantics.allCases.randomElement(using: &rng)!
        // reference semantics: only the methods the SCOPE code has
        let prefill = PrefillMethodKind.allCases.filter { semantics == .corrected || !CompressionConfig.referenceAccepts($0).isEmpty }
            .randomElement(using: &rng)!
        let decoding = semantics == .reference
            ? CompressionConfig.referenceAccepts(prefill).randomElement(using: &rng)!
            : DecodingMethodKind.allCases.randomElement(using: &rng)!
        let w = Int.random(in: 1...5, using: &rng)
        let P = w + Int.random(in: 1...24, using: &rng)
        let dr = Int.random(in: 0...6, using: &rng)
        let dw = dr + Int.random(in: 1...10, using: &rng)
        let config = CompressionConfig(semantics: semantics, prefill: prefill, decoding: decoding, prefillBudget: P,
                                       window: prefill == .streamingLLM && Bool.random(using: &rng) ? nil : w,
                                       kernel: [1, 3, 5, 7].randomElement(using: &rng)!, pooling: Pooling.allCases.randomElement(using: &rng)!,
                                       beta: Int.random(in: 1...20, using: &rng), decodingWindow: dw, recent: dr,
                                       delta: Bool.random(using: &rng) ? Int.random(in: 1...4, using: &rng) : nil,
                                       groupReduce: GroupReduce.allCases.randomElement(using: &rng)!)
        let n = Int.random(in: 1...(3 * P + 4), using: &rng)
        return (shape, config, n, Int.random(in: 0...45, using: &rng))
    }

    @Test("budgets, kept windows/recent/prefix rows, positions, existing rows and length/peak formulas hold", arguments: 0..<8)
    func invariantsHold(batch: Int) throws {
        var rng = SeededRandom(seed: UInt64(1000 + batch))
        var ran = 0
        for trial in 0..<60 {
            let (shape, config, n, steps) = PropertyTests.randomCase(&rng)
            var driver = RandomDriver(shape: shape, config: config, n: n, steps: steps, rng: SeededRandom(seed: UInt64(trial)))
            do {
                _ = try driver.run()
                ran += 1
            } catch KVCacheError.referenceRaises {
                // reference PyramidInfer with P <= n < P + w (Q2): raising is the documented behaviour
                #expect(config.semantics == .reference && config.prefill == .pyramidInfer && n >= config.prefillBudget
                        && n < config.prefillBudget + config.effectiveWindow)
                continue
            }
            #expect(driver.failures.count == 0, "batch \(batch) trial \(trial): \(config) n=\(n) steps=\(steps) shape=\(shape): \(driver.failures.prefix(3))")
        }
        #expect(ran > 40)
    }

    @Test("with budgets larger than the sequence every method keeps every row, in both semantics")
    func largeBudgetsKeepEverything() throws {
        let shape = CacheShape(layers: 3, queryHeads: 6, kvHeads: 2, headDim: 8)
        let n = 30, steps = 20
        for semantics in Semantics.allCases {
            for prefill in PrefillMethodKind.allCases {
                let decodings = semantics == .reference ? CompressionConfig.referenceAccepts(prefill) : DecodingMethodKind.allCases
                for decoding in decodings {
                    let config = CompressionConfig(semantics: semantics, prefill: prefill, decoding: decoding, prefillBudget: 100,
                                                   window: 8, decodingWindow: 200, recent: 64)
                    var driver = RandomDriver(shape: shape, config: config, n: n, steps: steps, rng: SeededRandom(seed: 3))
                    let cache = try driver.run()
                    #expect(driver.failures.count == 0, "\(semantics) \(prefill)+\(decoding): \(driver.failures.prefix(2))")
                    #expect(cache.tokensPerLayer == [n + steps, n + steps, n + steps], "\(semantics) \(prefill)+\(decoding)")
                }
            }
        }
    }
}
