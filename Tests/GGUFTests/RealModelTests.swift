import Foundation
import Testing
import GGUF
import ScopeTestSupport

/// The default model (SmolLM2-135M-Instruct Q4_1) parses, exposes its metadata and dequantizes.
@Suite(.needsDefaultModel) struct RealModelTests {
    @Test func defaultModelParsesWithLlamaMetadataAndExpectedTensorTypes() throws {
        let path = try #require(DefaultModel.path())
        let start = Date()
        let file = try GGUFFile(path: path)
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed < 0.5, "parsing took \(elapsed) s")
        #expect(file.version == 3)
        #expect(file.string("general.architecture") == "llama")
        #expect(file.int("llama.block_count") == 30)
        #expect(file.int("llama.attention.head_count") == 9)
        #expect(file.int("llama.attention.head_count_kv") == 3)
        #expect(file.int("llama.embedding_length") == 576)
        let tokens = try #require(file.metadata["tokenizer.ggml.tokens"]?.stringArray)
        #expect(tokens.count == 49152)
        #expect(file.metadata["tokenizer.ggml.merges"]?.stringArray?.isEmpty == false)
        #expect(file.metadataKeys.count == file.metadata.count)
        #expect(file.tensors.count == 272)
        let types = Set(file.tensors.map(\.type))
        #expect(types.contains(.q4_1))
        #expect(types.contains(.q8_0))
        #expect(types.contains(.f32))
        for t in file.tensors {
            #expect(t.dataOffset % file.alignment == 0)
            #expect(t.dataOffset + t.byteCount <= file.fileSize)
        }
    }

    @Test func defaultModelTokenEmbeddingRowZeroDequantizesToFiniteValues() throws {
        let path = try #require(DefaultModel.path())
        let file = try GGUFFile(path: path)
        let embd = try #require(file.tensor("token_embd.weight"))
        #expect(embd.shape == [576, 49152])
        #expect(embd.type == .q8_0)
        let row = try file.dequantizedRow(embd, row: 0)
        #expect(row.count == 576)
        #expect(row.allSatisfy { $0.isFinite })
        #expect(row.contains { $0 != 0 })
        let q = try #require(file.tensor("blk.0.attn_q.weight"))
        #expect(q.type == .q4_1)
        let qRow = try file.dequantizedRow(q, row: q.rowCount - 1)
        #expect(qRow.allSatisfy { $0.isFinite })
    }
}
