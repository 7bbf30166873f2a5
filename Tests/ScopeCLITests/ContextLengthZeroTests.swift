import Foundation
import ScopeTestSupport
import Testing

/// Issue 11 item 3: `context_length = 0` in a model file is an error when the model loads (it used
/// to load a model that then ran past its "context" without a word).
struct ContextLengthZeroTests {
    /// GGUF v3 bytes with metadata only (no tensors): a Llama header whose context length is `context`.
    static func metadataOnlyGGUF(context: UInt32) -> Data {
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func string(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }
        let u32: [(String, UInt32)] = [("llama.embedding_length", 64), ("llama.block_count", 1), ("llama.feed_forward_length", 128),
                                       ("llama.attention.head_count", 2), ("llama.context_length", context), ("llama.vocab_size", 16)]
        var bytes = Array("GGUF".utf8) + le(UInt32(3)) + le(Int64(0)) + le(Int64(u32.count + 1))
        bytes += string("general.architecture") + le(UInt32(8)) + string("llama")
        for (key, value) in u32 { bytes += string(key) + le(UInt32(4)) + le(value) }
        return Data(bytes)
    }

    @Test("a model file with context_length 0 is refused, naming the key",
          .needsScopeExecutable)
    func zeroContext() throws {
        let t = TemporaryFolder()
        let path = t.path + "/zero-context.gguf"
        try Self.metadataOnlyGGUF(context: 0).write(to: URL(fileURLWithPath: path))
        let run = try #require(try ScopeExecutable.run(["logits", "--model", path, "--tokens", "1"]))
        #expect(run.status == 1, "exit \(run.status): \(run.stderr)")
        #expect(run.stderr.contains("metadata key 'llama.context_length' must be positive, got 0"))
    }
}
