import Testing
@testable import KVCache
import ScopeTestSupport

/// The q8_0 / q4_0 row formats: byte-exact worked examples of ggml's reference quantizers,
/// round trips against closed forms, and the cache's eviction and byte accounting over such rows.
@Suite("Quantized KV rows (q8_0, q4_0)")
struct QuantizedKVTests {
    static func quantize(_ type: KVElementType, _ x: [Float]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: type.rowBytes(headDim: x.count))
        bytes.withUnsafeMutableBytes { KVBlockQuantizer.quantizeRow(type, x, count: x.count, into: $0.baseAddress!) }
        return bytes
    }

    static func dequantize(_ type: KVElementType, _ bytes: [UInt8], count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { KVBlockQuantizer.dequantizeRow(type, $0.baseAddress!, count: count, into: &out) }
        return out
    }

    @Test("row sizes are llama.cpp's: 34 bytes per 32 values (q8_0), 18 (q4_0), 2·d (f16), 4·d (f32)")
    func rowSizes() {
        #expect(KVElementType.q8_0.rowBytes(headDim: 64) == 68)
        #expect(KVElementType.q4_0.rowBytes(headDim: 64) == 36)
        #expect(KVElementType.q8_0.rowBytes(headDim: 128) == 136)
        #expect(KVElementType.q4_0.rowBytes(headDim: 96) == 54)
        #expect(KVElementType.f16.rowBytes(headDim: 64) == 128)
        #expect(KVElementType.f32.rowBytes(headDim: 64) == 256)
        #expect(KVElementType.q8_0.unsupportedReason(headDim: 48) != nil)
        #expect(KVElementType.q4_0.unsupportedReason(headDim: 96) == nil)
    }

    @Test("q8_0 worked example (methods-after-scope.md §6.4): d = 1, ties round away from zero")
    func q8WorkedExample() {
        var x = [Float](repeating: 0, count: 32)
        x[0] = 127; x[1] = 2.5; x[2] = -2.5; x[3] = 0.5; x[4] = 1.5; x[5] = -63.5
        let bytes = Self.quantize(.q8_0, x)
        #expect(bytes.count == 34)
        #expect(Array(bytes.prefix(8)) == [0x00, 0x3C, 0x7F, 0x03, 0xFD, 0x01, 0x02, 0xC0])
        #expect(bytes.dropFirst(8).allSatisfy { $0 == 0 })
    }

    @Test("q4_0 worked example (methods-after-scope.md §6.4): x_j = (j − 12)/4")
    func q4WorkedExample() {
        let x = (0..<32).map { Float($0 - 12) * 0.25 }
        let bytes = Self.quantize(.q4_0, x)
        #expect(bytes.count == 18)
        #expect(Array(bytes.prefix(2)) == [0xC0, 0xB8])   // d = −0.59375
        #expect(Array(bytes.dropFirst(2)) == [109, 109, 92, 92, 91, 75, 75, 58, 58, 57, 41, 40, 24, 24, 7, 7])
        let y = Self.dequantize(.q4_0, bytes, count: 32)
        #expect(y[0] == -2.96875)
        #expect(y[31] == 4.75)
        #expect(zip(x, y).map { abs($0 - $1) }.max()! == 0.28125)
    }

    @Test("blocks of zeros decode to zeros")
    func zeros() {
        for type in [KVElementType.q8_0, .q4_0] {
            let y = Self.dequantize(type, Self.quantize(type, [Float](repeating: 0, count: 64)), count: 64)
            #expect(y.allSatisfy { $0 == 0 }, "\(type)")
        }
    }

    @Test("values k·2^e with integer codes in range round-trip exactly", arguments: 0..<4)
    func exactRoundTrip(seed: Int) {
        var rng = SeededRandom(seed: UInt64(100 + seed))
        for _ in 0..<50 {
            let blocks = Int.random(in: 1...4, using: &rng)
            let scale = Float(sign: .plus, exponent: Int.random(in: -12...6, using: &rng), significand: 1)
            // q8_0: codes in −127...127 with |code| = 127 somewhere in each block, so d = scale exactly.
            var x8: [Float] = []
            // q4_0: codes in −8...7 with −8 first in each block, so vmax = −8·scale and d = scale.
            var x4: [Float] = []
            for _ in 0..<blocks {
                var c8 = (0..<32).map { _ in Int.random(in: -127...127, using: &rng) }
                c8[Int.random(in: 0..<32, using: &rng)] = Bool.random(using: &rng) ? 127 : -127
                x8 += c8.map { Float($0) * scale }
                var c4 = (0..<32).map { _ in Int.random(in: -7...7, using: &rng) }
                c4[Int.random(in: 0..<32, using: &rng)] = -8
                x4 += c4.map { Float($0) * scale }
            }
            #expect(Self.dequantize(.q8_0, Self.quantize(.q8_0, x8), count: x8.count) == x8)
            #expect(Self.dequantize(.q4_0, Self.quantize(.q4_0, x4), count: x4.count) == x4)
        }
    }

    @Test("random rows: each value within half a step of its input (one step where q4_0 clamps a code to 15)", arguments: 0..<4)
    func errorBounds(seed: Int) {
        var rng = SeededRandom(seed: UInt64(200 + seed))
        for _ in 0..<100 {
            let spread = Float.random(in: 0.01...100, using: &rng)
            let x = (0..<64).map { _ in Float.random(in: -spread...spread, using: &rng) }
            for type in [KVElementType.q8_0, .q4_0] {
                let bytes = Self.quantize(type, x)
                #expect(bytes.count == type.rowBytes(headDim: 64))
                let y = Self.dequantize(type, bytes, count: 64)
                for b in 0..<2 {
                    let block = Array(x[(32 * b)..<(32 * b + 32)])
                    let amax = block.map(abs).max()!
                    let vmax = block.first { abs($0) == amax }!
                    // the closed-form step: amax/127 (q8_0) or |vmax|/8 (q4_0), stored as fp16 (relative error ≤ 2^−11)
                    let step = type == .q8_0 ? amax / 127 : amax / 8
                    let fp16Slack = step * Float(type == .q8_0 ? 128 : 9) / 2048
                    for j in (32 * b)..<(32 * b + 32) {
                        // q4_0 codes of values opposite to vmax with |x| ≥ 15/16·amax would be 16: clamped to 15
                        let clamped = type == .q4_0 && x[j] * vmax < 0 && abs(x[j]) >= 0.93 * amax
                        let bound = (clamped ? step : step / 2) * 1.0001 + fp16Slack
                        #expect(abs(x[j] - y[j]) <= bound, "\(type) value \(j): \(x[j]) → \(y[j]), bound \(bound)")
                    }
                }
            }
        }
    }

    @Test("eviction moves whole quantized rows; bytes and peak equal the closed form", arguments: [KVElementType.q8_0, .q4_0])
    func evictionAndBytes(type: KVElementType) throws {
        var rng = SeededRandom(seed: type == .q8_0 ? 7 : 8)
        var ran = 0
        for trial in 0..<40 {
            let (small, config, n, steps) = PropertyTests.randomCase(&rng)
            let shape = CacheShape(layers: small.layers, queryHeads: small.queryHeads, kvHeads: small.kvHeads,
                                   headDim: [32, 64, 96].randomElement(using: &rng)!)
            var driver = RandomDriver(shape: shape, config: config, n: n, steps: steps, rng: SeededRandom(seed: UInt64(trial)),
                                      elementType: type)
            do {
                let cache = try driver.run()
                #expect(cache.rowBytes == 2 * type.rowBytes(headDim: shape.headDim))
                ran += 1
            } catch KVCacheError.referenceRaises {
                continue
            }
            #expect(driver.failures.isEmpty, "\(type) trial \(trial): \(config) n=\(n) steps=\(steps) shape=\(shape): \(driver.failures.prefix(3))")
        }
        #expect(ran > 25)
    }

    @Test("H2O prefill + slide decoding over q8_0 rows: peak bytes equal the formula")
    func h2oSlidePeak() throws {
        let shape = CacheShape(layers: 4, queryHeads: 9, kvHeads: 3, headDim: 64)
        let config = CompressionConfig(semantics: .corrected, prefill: .h2o, decoding: .slide, prefillBudget: 40,
                                       window: 8, decodingWindow: 24, recent: 8)
        var driver = RandomDriver(shape: shape, config: config, n: 120, steps: 60, rng: SeededRandom(seed: 11), elementType: .q8_0)
        let cache = try driver.run()
        #expect(driver.failures.isEmpty, "\(driver.failures.prefix(3))")
        let peak = KVMemory.expectedPeakBytes(shape: shape, config: config, promptLength: 120, decodeSteps: 60, maxNewTokens: 61,
                                              elementType: .q8_0)
        #expect(cache.bytesPeak == peak)
        // 34 bytes per 32 values: a q8_0 peak is 34/128 of the float32 one.
        let f32 = KVMemory.expectedPeakBytes(shape: shape, config: config, promptLength: 120, decodeSteps: 60, maxNewTokens: 61)
        #expect(peak * 128 == f32 * 34)
    }

    @Test("a head dimension that is not a multiple of 32 is refused with its reason")
    func refusesOddHeadDim() {
        let shape = CacheShape(layers: 1, queryHeads: 2, kvHeads: 1, headDim: 48)
        #expect(throws: KVCacheError.self) {
            _ = try KVCache(shape: shape, config: .fullKV, maxNewTokens: 1, elementType: .q4_0)
        }
    }
}
