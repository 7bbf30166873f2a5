import Foundation
import Testing
import GGUF
import Generation
import KVCache
import Model
import ScopeTestSupport
import Tokenizer

/// SmolLM2 requantized by llama.cpp to Q8_0, Q4_K_M and Q6_K (scripts/requantize-smollm2.py)
/// against the numpy fp32 reference of each file (Fixtures/requantized), with the tolerances of
/// ../shared/conformance/README.md. Skipped (with the reason) where the requantized files do not exist;
/// under SCOPE_REQUIRE_PREREQUISITES=1 (.ci/run, which makes them) a missing file fails instead.
@Suite(.serialized, .enabled(if: Prerequisites.required || requantizedModelsPresent(),
                              "needs SmolLM2-135M-Instruct.{Q8_0,Q4_K_M,Q6_K}.gguf beside the default model; make them with python3 scripts/requantize-smollm2.py --skip-reference (docs/model-breadth.md)"))
struct RequantizedModelTests {
    struct Reference: Decodable {
        struct GreedyCase: Decodable {
            let user: String; let prompt_ids: [Int32]; let output_ids: [Int32]; let output_text: String
            let top2_gaps: [Float]
        }
        let model: String
        let file_size: Int
        let tensor_types: [String: String]
        let logits: [ReferenceLogitsCase]
        let greedy: [GreedyCase]
    }

    static let types = ["Q8_0", "Q4_K_M", "Q6_K"]

    static func reference(_ type: String) throws -> Reference {
        let url = SharedData.packageRoot.appendingPathComponent(
            "Tests/ModelTests/Fixtures/requantized/SmolLM2-135M-Instruct.\(type).json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// The requantized file, or nil when it does not exist.
    static func modelPath(_ type: String) -> String? {
        let folder = (DefaultModel.cachePath as NSString).deletingLastPathComponent
        let path = folder + "/SmolLM2-135M-Instruct.\(type).gguf"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// The requantized file; a failure naming the missing file and how to make it.
    static func requiredModelPath(_ type: String) throws -> String {
        try #require(modelPath(type), "SmolLM2-135M-Instruct.\(type).gguf is absent; make it with python3 scripts/requantize-smollm2.py --skip-reference")
    }

    @Test("the requantized file is the one the reference was computed from (size and tensor types)",
          arguments: types)
    func fileMatchesReference(type: String) throws {
        let reference = try Self.reference(type)
        let path = try Self.requiredModelPath(type)
        let file = try GGUFFile(path: path)
        #expect(file.fileSize == reference.file_size, "\(path): regenerate the reference with scripts/requantize-smollm2.py")
        #expect(file.tensors.count == reference.tensor_types.count)
        for info in file.tensors {
            #expect(info.type.name == reference.tensor_types[info.name], "\(info.name) is \(info.type.name)")
        }
    }

    @Test("every reference prompt's logits are within 0.05 and argmax agrees on ≥ 99.5% of positions",
          arguments: types)
    func logitsMatchReference(type: String) throws {
        let reference = try Self.reference(type)
        let path = try Self.requiredModelPath(type)
        let model = try LlamaModel(path: path)
        for c in reference.logits {
            let (agreement, worst) = try c.compare(with: model)
            #expect(agreement >= 0.995, "\(type), prompt of \(c.ids.count) tokens: argmax agreement \(agreement)")
            #expect(worst <= 0.05, "\(type), prompt of \(c.ids.count) tokens: worst logit error \(worst)")
            print("\(type) logits: \(c.ids.count) tokens, argmax agreement \(agreement), worst |Δ| \(worst)")
        }
    }

    @Test("greedy generation reproduces the reference output ids (a divergence only at a top-2 near-tie)",
          arguments: types)
    func greedyMatchesReference(type: String) throws {
        let reference = try Self.reference(type)
        let path = try Self.requiredModelPath(type)
        let model = try LlamaModel(path: path)
        let generator = Generator(model: model, tokenizer: try Tokenizer(gguf: model.file))
        for c in reference.greedy {
            let cache = try KVCache(shape: model.cacheShape, config: CompressionConfig(), maxNewTokens: c.output_ids.count)
            let result = try generator.generate(prompt: c.prompt_ids, maxTokens: c.output_ids.count, cache: cache)
            if let step = zip(result.tokens, c.output_ids).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
                #expect(c.top2_gaps[step] <= 0.01,
                        "\(type) '\(c.user)': diverges at step \(step) where the reference's top-2 gap is \(c.top2_gaps[step])")
            } else {
                #expect(result.tokens == c.output_ids, "\(type) '\(c.user)'")
                #expect(result.text == c.output_text, "\(type) '\(c.user)'")
            }
            print("\(type) greedy '\(c.user)': \(result.tokens == c.output_ids ? "identical" : "diverged") (\(result.tokens.count) tokens)")
        }
    }
}

/// Whether every requantized file exists (the suite's condition; a separate function because a suite's
/// traits cannot refer to the suite's own type).
func requantizedModelsPresent() -> Bool {
    RequantizedModelTests.types.allSatisfy { RequantizedModelTests.modelPath($0) != nil }
}
