import Foundation
import Testing
import GGUF
import Generation
import Kernels
import KVCache
import Model
import ScopeTestSupport
import Tokenizer

/// The engine against the fp32 reference (transformers, weights dequantized from the GGUF), with
/// the tolerances of conformance/README.md.
@Suite(.serialized, .needsDefaultModel)
struct ReferenceConformanceTests {
    struct Reference: Decodable {
        struct GreedyCase: Decodable { let user: String; let prompt_ids: [Int32]; let output_ids: [Int32]; let output_text: String }
        let logits: [ReferenceLogitsCase]
        let greedy: [GreedyCase]
    }

    static let reference: Reference? = {
        let url = SharedData.packageRoot.appendingPathComponent("Tests/ModelTests/Fixtures/smollm2_q4_1_reference.json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(Reference.self, from: data)
    }()

    static let model: LlamaModel? = {
        guard let path = DefaultModel.path() else { return nil }
        return try? LlamaModel(path: path)
    }()

    @Test("every reference prompt's logits are within 0.05 and argmax agrees on ≥ 99.5% of positions")
    func logitsMatchReference() throws {
        let reference = try #require(Self.reference)
        let model = try #require(Self.model)
        for c in reference.logits {
            let (agreement, worst) = try c.compare(with: model)
            #expect(agreement >= 0.995, "prompt of \(c.ids.count) tokens: argmax agreement \(agreement)")
            #expect(worst <= 0.05, "prompt of \(c.ids.count) tokens: worst logit error \(worst)")
            print("logits: \(c.ids.count) tokens, argmax agreement \(agreement), worst |Δ| \(worst)")
        }
    }

    @Test("greedy generation reproduces the reference output ids exactly")
    func greedyMatchesReference() throws {
        let reference = try #require(Self.reference)
        let model = try #require(Self.model)
        let path = try #require(DefaultModel.path())
        let tokenizer = try Tokenizer(gguf: try GGUFFile(path: path))
        let generator = Generator(model: model, tokenizer: tokenizer)
        for c in reference.greedy {
            let cache = try KVCache(shape: model.cacheShape, config: CompressionConfig(), maxNewTokens: c.output_ids.count)
            let result = try generator.generate(prompt: c.prompt_ids, maxTokens: c.output_ids.count, cache: cache)
            #expect(result.tokens == c.output_ids, "\(c.user)")
            #expect(result.text == c.output_text, "\(c.user)")
        }
    }

    @Test("decoding token by token gives the same logits as one prefill pass")
    func stepwiseDecodeEqualsPrefill() throws {
        let model = try #require(Self.model)
        let ids: [Int32] = [1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3511, 308]
        let full = try model.forward(tokens: ids, startPosition: 0,
                                     cache: try KVCache(shape: model.cacheShape, config: CompressionConfig(), maxNewTokens: 0))
        let cache = try KVCache(shape: model.cacheShape, config: CompressionConfig(), maxNewTokens: ids.count)
        var last: [Float] = []
        for (i, t) in ids.enumerated() { last = try model.forward(tokens: [t], startPosition: i, cache: cache) }
        let a = model.logits(hidden: full, row: ids.count - 1), b = model.logits(hidden: last, row: 0)
        let diff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        #expect(diff < 2e-3, "max |Δlogit| \(diff)")
    }
}
