import Foundation
import Testing
import GGUF
import Generation
import KVCache
import Model
import ScopeTestSupport
import Tokenizer

/// Gemma 3 270M (base, Q4_K_M): configuration, the Paris check, window consistency, and the fp32
/// reference fixture of `scripts/reference_forward_gemma3.py`.
@Suite(.serialized, .needsGemmaModel)
struct Gemma3Tests {
    static let file: GGUFFile? = GemmaModel.path().flatMap { try? GGUFFile(path: $0) }
    static let model: LlamaModel? = file.flatMap { try? LlamaModel(file: $0) }
    static let tokenizer: Tokenizer? = file.flatMap { try? Tokenizer(gguf: $0) }

    @Test("the configuration comes from gemma3.* metadata: 5 local : 1 global, window 512, two RoPE bases")
    func configuration() throws {
        let c = try #require(Self.model).config
        #expect(c.family == .gemma3)
        #expect(c.blockCount == 18 && c.embeddingLength == 640 && c.headCount == 4 && c.headCountKV == 1 && c.headDim == 256)
        #expect(c.layerWindows == (0..<18).map { ($0 + 1) % 6 == 0 ? nil : 512 })
        #expect(c.ropeBase == 1_000_000 && c.localRopeBase == 10_000)
        #expect(c.embeddingScale == Float(640).squareRoot())
        #expect(c.vocabularySize == 262_144)
    }

    /// Not "The capital of France is": this base model continues it with " the capital of the country
    /// of France." — llama.cpp's llama-server 0.3.36 on the same file gives the same tokens
    /// [2, 818, 5279, 529, 7001, 563] and the same greedy continuation. A question/answer prompt is
    /// the shape in which the base model names the city.
    @Test("greedy answer to \"What is the capital of France?\" names Paris")
    func paris() throws {
        let model = try #require(Self.model), tokenizer = try #require(Self.tokenizer)
        let prompt = tokenizer.encode("Question: What is the capital of France?\nAnswer:", addSpecial: true)
        let cache = try KVCache(shape: model.cacheShape, config: CompressionConfig(), maxNewTokens: 8)
        let result = try Generator(model: model, tokenizer: tokenizer).generate(prompt: prompt, maxTokens: 8, cache: cache)
        #expect(result.text.contains("Paris"), "\(result.text)")
    }

    @Test("the base file has no chat template, and --chat says so")
    func noChatTemplate() throws {
        let tokenizer = try #require(Self.tokenizer)
        #expect(tokenizer.chatTemplateText == nil)
        do {
            _ = try tokenizer.chatTemplate()
            Issue.record("chatTemplate() did not throw")
        } catch {
            #expect("\(error)".contains("no chat template"))
        }
    }

    @Test("decoding past the window (rows freed) gives the logits of one masked prefill pass")
    func windowedDecodeEqualsPrefill() throws {
        let model = try #require(Self.model)
        let n = 560, split = 500
        let ids: [Int32] = (0..<n).map { Int32(2 + ($0 * 7919) % 20_000) }
        let full = try model.forward(tokens: ids, startPosition: 0,
                                     cache: try KVCache(shape: model.cacheShape, config: CompressionConfig(), maxNewTokens: 0))
        let cache = try KVCache(shape: model.cacheShape, config: CompressionConfig(), maxNewTokens: n - split)
        var last: [Float] = try model.forward(tokens: Array(ids[..<split]), startPosition: 0, cache: cache)
        for i in split..<n { last = try model.forward(tokens: [ids[i]], startPosition: i, cache: cache) }
        #expect(cache.tokensPerLayer == (0..<18).map { ($0 + 1) % 6 == 0 ? n : 511 })
        let a = model.logits(hidden: full, row: n - 1), b = model.logits(hidden: last, row: 0)
        let diff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        #expect(diff < 2e-3, "max |Δlogit| \(diff)")
    }
}
