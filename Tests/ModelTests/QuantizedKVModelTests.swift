import Foundation
import Testing
import GGUF
import Generation
import KVCache
import Model
import ScopeTestSupport
import Tokenizer

/// q8_0 / q4_0 KV caches driven by the real model: close to the float32 cache (with and without
/// eviction, through the streaming and the probability-returning attention), and peak bytes equal
/// to the closed form.
@Suite(.serialized, .needsDefaultModel)
struct QuantizedKVModelTests {
    static let engine = DefaultEngine.load()

    static func prompt(_ tokenizer: Tokenizer) -> [Int32] {
        let text = String(repeating: "The lighthouse keeper wrote the weather in the log every night. ", count: 10)
        return tokenizer.encode("<|im_start|>user\n\(text)<|im_end|>\n<|im_start|>assistant\n", addSpecial: false, parseSpecial: true)
    }

    /// KL(softmax(p) ‖ softmax(q)) in float64.
    static func kl(_ p: [Float], _ q: [Float]) -> Double {
        func logSoftmax(_ x: [Float]) -> [Double] {
            let m = Double(x.max()!)
            let lse = m + Foundation.log(x.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) })
            return x.map { Double($0) - lse }
        }
        let lp = logSoftmax(p), lq = logSoftmax(q)
        return zip(lp, lq).reduce(0.0) { $0 + Foundation.exp($1.0) * ($1.0 - $1.1) }
    }

    /// Mean KL of `type` against float32 rows, both under `config`, over `steps` teacher-forced tokens.
    static func meanKL(_ model: LlamaModel, _ prompt: [Int32], config: CompressionConfig, type: KVElementType, steps: Int) throws -> Double {
        let exact = try KVCache(shape: model.cacheShape, config: config, maxNewTokens: steps)
        let quantized = try KVCache(shape: model.cacheShape, config: config, maxNewTokens: steps, elementType: type)
        var a = try model.forward(tokens: prompt, startPosition: 0, cache: exact)
        var b = try model.forward(tokens: prompt, startPosition: 0, cache: quantized)
        var row = prompt.count - 1, total = 0.0
        for step in 0..<steps {
            let la = model.logits(hidden: a, row: row), lb = model.logits(hidden: b, row: row)
            total += kl(la, lb)
            let next = Int32(la.indices.max { la[$0] < la[$1] }!)
            a = try model.forward(tokens: [next], startPosition: prompt.count + step, cache: exact)
            b = try model.forward(tokens: [next], startPosition: prompt.count + step, cache: quantized)
            row = 0
        }
        return total / Double(steps)
    }

    @Test("q8_0 and q4_0 stay close to float32 rows: FullKV, SnapKV (streaming), H2O+slide (probabilities)")
    func closeToFloat32() throws {
        let (model, tokenizer) = try #require(Self.engine)
        let prompt = Self.prompt(tokenizer)
        let configs: [(String, CompressionConfig)] = [
            ("fullkv", .fullKV),
            ("snapkv", CompressionConfig(prefill: .snapKV, prefillBudget: 64)),
            ("h2o+slide", CompressionConfig(prefill: .h2o, decoding: .slide, prefillBudget: 64, decodingWindow: 16, recent: 8)),
        ]
        for (name, config) in configs {
            let q8 = try Self.meanKL(model, prompt, config: config, type: .q8_0, steps: 24)
            let q4 = try Self.meanKL(model, prompt, config: config, type: .q4_0, steps: 24)
            print("quantized KV vs f32, \(name): mean KL q8_0 \(q8), q4_0 \(q4)")
            // The bound (1e-3) holds for the cache itself (FullKV). With eviction at a budget of
            // 64 rows, near-tied scores can rank differently on quantized keys, so a few different rows
            // are kept: measured q8_0 1.3e-3 for SnapKV, 2.9e-4 for H2O+slide; broken rows give KL ≫ 1.
            let q8Bound = name == "fullkv" ? 1e-3 : 1e-2
            #expect(q8 <= q8Bound, "\(name): q8_0 mean KL \(q8)")
            #expect(q4 <= 0.25, "\(name): q4_0 mean KL \(q4)")   // a sanity bound: q4_0 measures ≈ 0.06 on the 1,820-token prompt (docs/kv-types.md); broken rows give KL ≫ 1
            #expect(q8 < q4, "\(name): q8_0 should be closer than q4_0")
        }
    }

    @Test("H2O + slide over q8_0 and q4_0 rows: kv_bytes_peak equals the closed form")
    func peakBytesMatchFormula() throws {
        let (model, tokenizer) = try #require(Self.engine)
        let prompt = Self.prompt(tokenizer)
        let generator = Generator(model: model, tokenizer: tokenizer)
        let maxTokens = 48
        let config = CompressionConfig(prefill: .h2o, decoding: .slide, prefillBudget: 48, decodingWindow: 24, recent: 8)
        for type in [KVElementType.q8_0, .q4_0] {
            let cache = try KVCache(shape: model.cacheShape, config: config, maxNewTokens: maxTokens, elementType: type)
            let r = try generator.generate(prompt: prompt, maxTokens: maxTokens, cache: cache, ignoreEndOfGeneration: true)
            #expect(r.tokens.count == maxTokens)
            let expected = KVMemory.expectedPeakBytes(shape: model.cacheShape, config: config, promptLength: prompt.count,
                                                      decodeSteps: maxTokens - 1, maxNewTokens: maxTokens, elementType: type)
            #expect(cache.bytesPeak == expected, "\(type): peak \(cache.bytesPeak) vs formula \(expected)")
            #expect(cache.rowBytes == 2 * type.rowBytes(headDim: model.config.headDim))
        }
    }
}
