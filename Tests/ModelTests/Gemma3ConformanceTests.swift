import Foundation
import Testing
import GGUF
import Generation
import KVCache
import Model
import ScopeTestSupport
import Tokenizer

/// Gemma 3 270M against its fp32 reference (`Fixtures/gemma3/gemma-3-270m-q4_k_m.json`, written by
/// `scripts/reference_forward_gemma3.py`: transformers' Gemma3ForCausalLM in float32, weights
/// dequantized from the same GGUF), with the tolerances of issue 16: argmax agreement ≥ 99.5% and
/// top-10 logit error ≤ 0.05 on three prompts of ≥ 1,000 tokens (past the 512-token window), and
/// identical greedy output for 48 tokens on two prompts.
@Suite(.serialized, .needsGemmaModel)
struct Gemma3ConformanceTests {
    struct Reference: Decodable {
        struct TokenizerCase: Decodable { let text: String; let ids: [Int32] }
        struct GreedyCase: Decodable { let prompt: String; let prompt_ids: [Int32]; let output_ids: [Int32]; let output_text: String }
        let tokenizer: [TokenizerCase]
        let logits: [ReferenceLogitsCase]
        let greedy: [GreedyCase]
    }

    static let fixture = "Tests/ModelTests/Fixtures/gemma3/gemma-3-270m-q4_k_m.json"

    /// The committed fixture; a missing or malformed file fails the test with the path and the reason.
    static func reference() throws -> Reference {
        let url = SharedData.packageRoot.appendingPathComponent(fixture)
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    static let file: GGUFFile? = GemmaModel.path().flatMap { try? GGUFFile(path: $0) }
    static let model: LlamaModel? = file.flatMap { try? LlamaModel(file: $0) }
    static let tokenizer: Tokenizer? = file.flatMap { try? Tokenizer(gguf: $0) }

    @Test("the tokenizer gives the reference tokenizer's ids")
    func tokenizerMatchesReference() throws {
        let reference = try Self.reference(), tokenizer = try #require(Self.tokenizer)
        #expect(!reference.tokenizer.isEmpty)
        for c in reference.tokenizer {
            #expect(tokenizer.encode(c.text) == c.ids, "\(c.text.debugDescription)")
        }
        for c in reference.logits {
            #expect(tokenizer.encode(c.text, addSpecial: true) == c.ids, "long prompt of \(c.ids.count) tokens")
        }
    }

    @Test("three prompts of ≥ 1,000 tokens: argmax agreement ≥ 99.5%, top-10 logits and logsumexp within 0.05")
    func logitsMatchReference() throws {
        let reference = try Self.reference(), model = try #require(Self.model)
        #expect(reference.logits.count == 3 && reference.logits.allSatisfy { $0.ids.count >= 1_000 })
        for c in reference.logits {
            let (agreement, worst) = try c.compare(with: model)
            #expect(agreement >= 0.995, "prompt of \(c.ids.count) tokens: argmax agreement \(agreement)")
            #expect(worst <= 0.05, "prompt of \(c.ids.count) tokens: worst logit error \(worst)")
            print("gemma3 logits: \(c.ids.count) tokens, argmax agreement \(agreement), worst |Δ| \(worst)")
        }
    }

    @Test("greedy generation reproduces the reference's 48 tokens on two prompts")
    func greedyMatchesReference() throws {
        let reference = try Self.reference()
        let model = try #require(Self.model), tokenizer = try #require(Self.tokenizer)
        let generator = Generator(model: model, tokenizer: tokenizer)
        #expect(reference.greedy.count == 2 && reference.greedy.allSatisfy { $0.output_ids.count == 48 })
        for c in reference.greedy {
            #expect(tokenizer.encode(c.prompt, addSpecial: true) == c.prompt_ids, "\(c.prompt.debugDescription)")
            let cache = try KVCache(shape: model.cacheShape, config: CompressionConfig(), maxNewTokens: c.output_ids.count)
            let result = try generator.generate(prompt: c.prompt_ids, maxTokens: c.output_ids.count, cache: cache)
            #expect(result.tokens == c.output_ids, "\(c.prompt.debugDescription): \(result.text.debugDescription)")
        }
    }
}
