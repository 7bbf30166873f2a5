import Foundation
import Testing
import GGUF
import Generation
import KVCache
import Model
import Kernels
import ScopeTestSupport
import Tokenizer

/// Gemma 3 270M against its fp32 reference (Fixtures/gemma3, written by
/// `scripts/reference_forward_gemma3.py`: transformers' Gemma3ForCausalLM in float32, weights
/// dequantized from the same GGUF), with the tolerances of issue 16: argmax agreement ≥ 99.5% and
/// top-10 logit error ≤ 0.05 on three prompts of ≥ 1,000 tokens (past the 512-token window), and
/// identical greedy output for 48 tokens on two prompts.
@Suite(.serialized, .needsGemmaModel)
struct Gemma3ConformanceTests {
    struct Reference: Decodable {
        struct TokenizerCase: Decodable { let text: String; let ids: [Int32] }
        struct Position: Decodable { let pos: Int; let top_ids: [Int]; let top_logits: [Float]; let logsumexp: Float }
        struct LogitsCase: Decodable { let ids: [Int32]; let argmax_all: [Int]; let positions: [Position] }
        struct GreedyCase: Decodable { let prompt: String; let prompt_ids: [Int32]; let output_ids: [Int32]; let output_text: String }
        let tokenizer: [TokenizerCase]
        let logits: [LogitsCase]
        let greedy: [GreedyCase]
    }

    static let reference: Reference? = {
        let url = SharedData.packageRoot.appendingPathComponent("Tests/ModelTests/Fixtures/gemma3/gemma-3-270m-q4_k_m.json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(Reference.self, from: data)
    }()

    static let file: GGUFFile? = GemmaModel.path().flatMap { try? GGUFFile(path: $0) }
    static let model: LlamaModel? = file.flatMap { try? LlamaModel(file: $0) }
    static let tokenizer: Tokenizer? = file.flatMap { try? Tokenizer(gguf: $0) }

    @Test("the tokenizer gives the reference tokenizer's ids")
    func tokenizerMatchesReference() throws {
        let reference = try #require(Self.reference), tokenizer = try #require(Self.tokenizer)
        for c in reference.tokenizer {
            #expect(tokenizer.encode(c.text) == c.ids, "\(c.text.debugDescription)")
        }
        for c in reference.logits {
            #expect(tokenizer.encode(tokenizer.decode(Array(c.ids.dropFirst())), addSpecial: true) == c.ids)
        }
    }

    @Test("long prompts: argmax agreement ≥ 99.5%, top-10 logits and logsumexp within 0.05")
    func logitsMatchReference() throws {
        let reference = try #require(Self.reference), model = try #require(Self.model)
        #expect(reference.logits.count == 3 && reference.logits.allSatisfy { $0.ids.count >= 1_000 })
        let vocab = model.config.vocabularySize
        for c in reference.logits {
            let cache = try KVCache(shape: model.cacheShape, config: CompressionConfig(), maxNewTokens: 0)
            let hidden = try model.forward(tokens: c.ids, startPosition: 0, cache: cache)
            let recorded = Dictionary(uniqueKeysWithValues: c.positions.map { ($0.pos, $0) })
            var agree = 0
            var worst: Float = 0
            var batch: [Float] = []
            for pos in 0..<c.ids.count {
                if pos % 64 == 0 { batch = model.logits(hidden: hidden, rows: pos..<min(c.ids.count, pos + 64)) }
                let logits = Array(batch[(pos % 64) * vocab..<(pos % 64 + 1) * vocab])
                if Int(logits.withUnsafeBufferPointer { Sampler.argmax($0) }) == c.argmax_all[pos] { agree += 1 }
                if let r = recorded[pos] {
                    for (id, value) in zip(r.top_ids, r.top_logits) { worst = max(worst, abs(logits[id] - value)) }
                    worst = max(worst, abs(Self.logSumExp(logits) - r.logsumexp))
                }
            }
            let agreement = Double(agree) / Double(c.ids.count)
            #expect(agreement >= 0.995, "prompt of \(c.ids.count) tokens: argmax agreement \(agreement)")
            #expect(worst <= 0.05, "prompt of \(c.ids.count) tokens: worst logit error \(worst)")
            print("gemma3 logits: \(c.ids.count) tokens, argmax agreement \(agreement), worst |Δ| \(worst)")
        }
    }

    @Test("greedy generation reproduces the reference's 48 tokens")
    func greedyMatchesReference() throws {
        let reference = try #require(Self.reference)
        let model = try #require(Self.model), tokenizer = try #require(Self.tokenizer)
        let generator = Generator(model: model, tokenizer: tokenizer)
        #expect(reference.greedy.count == 2)
        for c in reference.greedy {
            #expect(tokenizer.encode(c.prompt, addSpecial: true) == c.prompt_ids, "\(c.prompt.debugDescription)")
            let cache = try KVCache(shape: model.cacheShape, config: CompressionConfig(), maxNewTokens: c.output_ids.count)
            let result = try generator.generate(prompt: c.prompt_ids, maxTokens: c.output_ids.count, cache: cache)
            #expect(result.tokens == c.output_ids, "\(c.prompt.debugDescription): \(result.text.debugDescription)")
        }
    }

    static func logSumExp(_ v: [Float]) -> Float {
        let m = v.max()!
        return m + Float(log(v.reduce(0.0) { $0 + exp(Double($1 - m)) }))
    }
}
