import Foundation
import Testing
import GGUF
import Generation
import KVCache
import Model
import ScopeTestSupport
import Tokenizer

/// KV-cache compression driven by the real model: invariants that must hold end to end.
@Suite(.serialized, .needsDefaultModel)
struct CompressionEngineTests {
    static let engine = DefaultEngine.load()

    static func prompt(_ tokenizer: Tokenizer, _ text: String) -> [Int32] {
        let chat = "<|im_start|>user\n\(text)<|im_end|>\n<|im_start|>assistant\n"
        return tokenizer.encode(chat, addSpecial: false, parseSpecial: true)
    }

    @Test("with budgets larger than the sequence, every prefill × decoding pair reproduces FullKV's greedy output, in both semantics")
    func largeBudgetsEqualFullKV() throws {
        let (model, tokenizer) = try #require(Self.engine)
        let prompt = Self.prompt(tokenizer, "List three facts about the moon.")
        let generator = Generator(model: model, tokenizer: tokenizer)
        let maxTokens = 20
        let baseline = try generator.generate(prompt: prompt, maxTokens: maxTokens,
                                              cache: try KVCache(shape: model.cacheShape, config: .fullKV, maxNewTokens: maxTokens))
        var checked = 0
        for semantics in Semantics.allCases {
            for prefill in PrefillMethodKind.allCases {
                let decodings = semantics == .reference ? CompressionConfig.referenceAccepts(prefill) : DecodingMethodKind.allCases
                for decoding in decodings {
                    let config = CompressionConfig(semantics: semantics, prefill: prefill, decoding: decoding,
                                                   prefillBudget: 1024, decodingWindow: 512, recent: 256)
                    let cache = try KVCache(shape: model.cacheShape, config: config, maxNewTokens: maxTokens)
                    let r = try generator.generate(prompt: prompt, maxTokens: maxTokens, cache: cache)
                    #expect(r.tokens == baseline.tokens, "\(semantics) \(prefill)+\(decoding)")
                    checked += 1
                }
            }
        }
        // reference: 4+4+4+5+2+2 accepted pairs of the SCOPE classes; corrected: every registered prefill × decoding
        #expect(checked == 21 + PrefillMethodKind.allCases.count * DecodingMethodKind.allCases.count)
    }

    @Test("kv_bytes_peak equals the closed-form formula, and corrected semantics stores 1/group of reference")
    func peakBytesMatchFormula() throws {
        let (model, tokenizer) = try #require(Self.engine)
        let text = String(repeating: "The lighthouse keeper wrote the weather in the log every night. ", count: 12)
        let prompt = Self.prompt(tokenizer, text)
        #expect(prompt.count > 96)
        let generator = Generator(model: model, tokenizer: tokenizer)
        let maxTokens = 80
        var peaks: [Semantics: Int] = [:]
        for semantics in Semantics.allCases {
            let config = CompressionConfig(semantics: semantics, prefill: .h2o, decoding: .slide,
                                           prefillBudget: 48, decodingWindow: 32, recent: 8)
            let cache = try KVCache(shape: model.cacheShape, config: config, maxNewTokens: maxTokens)
            let r = try generator.generate(prompt: prompt, maxTokens: maxTokens, cache: cache, ignoreEndOfGeneration: true)
            #expect(r.tokens.count == maxTokens)
            let expected = KVMemory.expectedPeakBytes(shape: model.cacheShape, config: config, promptLength: prompt.count,
                                                      decodeSteps: maxTokens - 1, maxNewTokens: maxTokens)
            #expect(cache.bytesPeak == expected, "\(semantics): peak \(cache.bytesPeak) vs formula \(expected)")
            #expect(cache.tokensPerLayer.allSatisfy { $0 <= 48 + 32 }, "\(semantics): \(cache.tokensPerLayer)")
            peaks[semantics] = cache.bytesPeak
        }
        let group = model.config.groupSize
        #expect(peaks[.reference]! == group * peaks[.corrected]!)
    }

    @Test("a compressed cache changes what the model sees: fewer stored rows than positions, positions preserved")
    func compressedCacheKeepsPositions() throws {
        let (model, tokenizer) = try #require(Self.engine)
        let prompt = Self.prompt(tokenizer, String(repeating: "Count the stars and name them. ", count: 8))
        let config = CompressionConfig(prefill: .snapKV, decoding: .slide, prefillBudget: 32, decodingWindow: 24, recent: 8)
        let cache = try KVCache(shape: model.cacheShape, config: config, maxNewTokens: 40)
        let r = try Generator(model: model, tokenizer: tokenizer).generate(prompt: prompt, maxTokens: 40, cache: cache,
                                                                           ignoreEndOfGeneration: true)
        let total = prompt.count + r.tokens.count - 1
        for layer in cache.layers {
            for h in 0..<layer.storageHeads {
                let positions = Array(UnsafeBufferPointer(start: layer.positions(h), count: layer.count(h)))
                #expect(positions.count < total)
                #expect(Set(positions).count == positions.count)
                #expect(positions.allSatisfy { $0 >= 0 && Int($0) < total })
                // The most recent rows (decoding recent window) are always kept.
                #expect(positions.contains(Int32(total - 1)))
            }
        }
    }
}
