import Foundation
import Testing
import GGUF
import Kernels
import KVCache
import Model
import ScopeTestSupport
import Tokenizer

/// Random-weight Llama models in every weight type (Fixtures/breadth, written by
/// scripts/make-model-fixtures.py) against the independent numpy forward pass of
/// scripts/reference_forward.py: |Δlogit| ≤ 1e-3 × the fixture's logit scale (max |logit|).
@Suite(.serialized)
struct BreadthFixtureTests {
    struct Fixture: Decodable {
        struct Config: Decodable {
            let dim: Int, ffn: Int, head_dim: Int, heads: Int, kv_heads: Int, layers: Int, vocab: Int
            let rope_base: Float, rope_freqs: Bool, rope_linear_scale: Float, separate_output: Bool
        }
        struct Row: Decodable { let pos: Int; let logits: [Float] }
        struct Case: Decodable {
            let name: String; let text: String?; let ids: [Int32]; let prefill: Int
            let argmax_all: [Int]; let rows: [Row]
        }
        let file: String
        let variant: String
        let config: Config
        let tensor_types: [String: String]
        let logit_scale: Float
        let cases: [Case]
    }

    static let names = ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0",
                        "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "MIXED_Q4_K_M"]
    static let relativeTolerance: Float = 1e-3

    static func folder() -> URL {
        SharedData.packageRoot.appendingPathComponent("Tests/ModelTests/Fixtures/breadth")
    }

    static func load(_ name: String) throws -> (Fixture, LlamaModel) {
        let json = folder().appendingPathComponent(name + ".json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: json))
        let model = try LlamaModel(path: folder().appendingPathComponent(fixture.file).path)
        return (fixture, model)
    }

    /// Worst |engine − reference| over the recorded rows at positions in `positions`.
    static func worstError(_ c: Fixture.Case, positions: Range<Int>, logitsAt: (Int) -> [Float]) -> Float {
        var worst: Float = 0
        for row in c.rows where positions.contains(row.pos) {
            let engine = logitsAt(row.pos)
            for (a, b) in zip(engine, row.logits) { worst = max(worst, abs(a - b)) }
        }
        return worst
    }

    @Test("the loaded model has the fixture's configuration and every tensor in the fixture's type",
          arguments: names)
    func configurationAndTensorTypes(name: String) throws {
        let (fixture, model) = try Self.load(name)
        let c = model.config, e = fixture.config
        #expect(c.embeddingLength == e.dim && c.feedForwardLength == e.ffn && c.headDim == e.head_dim)
        #expect(c.headCount == e.heads && c.headCountKV == e.kv_heads && c.blockCount == e.layers)
        #expect(c.vocabularySize == e.vocab && c.ropeBase == e.rope_base)
        #expect(c.ropeLinearScale == e.rope_linear_scale)
        #expect((model.weights.ropeFrequencyFactors != nil) == (e.rope_freqs || e.rope_linear_scale != 1))
        #expect(model.weights.output.name == (e.separate_output ? "output.weight" : "token_embd.weight"))
        let w = model.weights
        var loaded: [String: GGMLType] = ["token_embd.weight": w.tokenEmbedding.type]
        if e.separate_output { loaded["output.weight"] = w.output.type }
        for (l, b) in w.blocks.enumerated() {
            let p = "blk.\(l)."
            for (suffix, m) in [("attn_q", b.wq), ("attn_k", b.wk), ("attn_v", b.wv), ("attn_output", b.wo),
                                ("ffn_gate", b.wGate), ("ffn_up", b.wUp), ("ffn_down", b.wDown)] {
                loaded[p + suffix + ".weight"] = m.type
            }
        }
        for (tensor, type) in loaded {
            #expect(type.name == fixture.tensor_types[tensor], "\(name): \(tensor) is \(type.name)")
        }
    }

    @Test("prefill logits of the random-weight model match the numpy reference within 1e-3 of the logit scale",
          arguments: names)
    func prefillLogitsMatchReference(name: String) throws {
        let (fixture, model) = try Self.load(name)
        let tolerance = Self.relativeTolerance * fixture.logit_scale
        for c in fixture.cases {
            let cache = try KVCache(shape: model.cacheShape, config: CompressionConfig(), maxNewTokens: 0)
            let hidden = try model.forward(tokens: c.ids, startPosition: 0, cache: cache)
            let all = model.logits(hidden: hidden, rows: 0..<c.ids.count)
            let vocab = model.config.vocabularySize
            let rowAt = { (p: Int) in Array(all[p * vocab..<(p + 1) * vocab]) }
            let worst = Self.worstError(c, positions: 0..<c.ids.count, logitsAt: rowAt)
            #expect(worst <= tolerance, "\(name) '\(c.name)': worst |Δ| \(worst) > \(tolerance)")
            for pos in 0..<c.ids.count {
                let row = rowAt(pos)
                let argmax = row.indices.max { row[$0] < row[$1] }!
                if argmax != c.argmax_all[pos] {
                    // Only acceptable when the two candidates are tied within the tolerance.
                    #expect(abs(row[argmax] - row[c.argmax_all[pos]]) <= tolerance,
                            "\(name) '\(c.name)' position \(pos): argmax \(argmax), reference \(c.argmax_all[pos])")
                }
            }
            print("\(name) [\(fixture.variant)] '\(c.name)': worst |Δ| \(worst), relative \(worst / fixture.logit_scale)")
        }
    }

    @Test("prefill then token-by-token decoding gives the reference logits at every recorded position",
          arguments: names)
    func decodeLogitsMatchReference(name: String) throws {
        let (fixture, model) = try Self.load(name)
        let tolerance = Self.relativeTolerance * fixture.logit_scale
        for c in fixture.cases {
            let steps = c.ids.count - c.prefill
            let cache = try KVCache(shape: model.cacheShape, config: CompressionConfig(), maxNewTokens: steps)
            var hidden = try model.forward(tokens: Array(c.ids[..<c.prefill]), startPosition: 0, cache: cache)
            for pos in c.prefill..<c.ids.count {
                hidden += try model.forward(tokens: [c.ids[pos]], startPosition: pos, cache: cache)
            }
            let worst = Self.worstError(c, positions: 0..<c.ids.count) { model.logits(hidden: hidden, row: $0) }
            #expect(worst <= tolerance, "\(name) '\(c.name)': worst |Δ| \(worst) > \(tolerance)")
        }
    }

    @Test("the fixture vocabulary loads with Tokenizer(gguf:) and encodes the text case to the tokenizers ids")
    func fixtureTokenizerEncodesText() throws {
        let (fixture, model) = try Self.load("Q8_0")
        let tokenizer = try Tokenizer(gguf: model.file)
        let c = try #require(fixture.cases.first { $0.text != nil })
        #expect(tokenizer.encode(c.text!) == c.ids)
        #expect(tokenizer.decode(c.ids, skipSpecial: false) == c.text!)
    }

    @Test("a model the engine cannot run correctly is refused with an error naming the key or tensor",
          arguments: ["yarn_rope_scaling", "vocab_size_mismatch", "rope_dimensions_too_large"])
    func brokenModelIsRefused(name: String) throws {
        let folder = Self.folder().appendingPathComponent("broken")
        let expected = try JSONDecoder().decode([String: [String]].self,
                                                from: Data(contentsOf: folder.appendingPathComponent("expected_errors.json")))
        let words = try #require(expected[name])
        do {
            _ = try LlamaModel(path: folder.appendingPathComponent(name + ".gguf").path)
            Issue.record("\(name).gguf loaded")
        } catch {
            let message = "\(error)"
            for word in words { #expect(message.contains(word), "\(name): '\(message)' does not name \(word)") }
        }
    }

    @Test("a matrix of a type the engine cannot run is an error naming the tensor and the type")
    func unsupportedTypeNamesTensorAndType() throws {
        // Rewrite the type id of blk.0.attn_q.weight in a copy of the Q4_0 fixture to IQ2_XXS.
        let source = Self.folder().appendingPathComponent("Q4_0.gguf")
        let original = try GGUFFile(path: source.path)
        let info = try #require(original.tensor("blk.0.attn_q.weight"))
        var bytes = try Data(contentsOf: source)
        let name = Array("blk.0.attn_q.weight".utf8)
        // Tensor info: u64 name length, name, u32 n_dims, n_dims × u64 dims, u32 type, u64 offset.
        let start = try #require(bytes.firstRange(of: Data(name))).upperBound
        let typeOffset = start + 4 + 8 * info.shape.count
        #expect(bytes[typeOffset] == UInt8(GGMLType.q4_0.rawValue))
        bytes[typeOffset] = UInt8(GGMLType.iq2_xxs.rawValue)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scope-unsupported-\(getpid()).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try bytes.write(to: url)
        do {
            _ = try LlamaModel(path: url.path)
            Issue.record("an IQ2_XXS matrix loaded")
        } catch {
            let message = "\(error)"
            #expect(message.contains("blk.0.attn_q.weight") && message.contains("IQ2_XXS"), "\(message)")
        }
    }
}
