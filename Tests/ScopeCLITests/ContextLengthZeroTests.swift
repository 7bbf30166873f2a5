import Foundation
import ScopeTestSupport
import Testing

/// Issue 11 item 3: `context_length = 0` in a model file is an error when the model loads (it used
/// to load a model that then ran past its "context" without a word).
struct ContextLengthZeroTests {
    /// GGUF v3 bytes with metadata only (no tensors): a Llama header whose context length is
    /// `context`, with `u32` keys replacing or adding to the header's and `f32` keys added.
    static func metadataOnlyGGUF(context: UInt32, u32 overrides: [String: UInt32] = [:], f32: [(String, Float)] = []) -> Data {
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func string(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }
        var u32: [(String, UInt32)] = [("llama.embedding_length", 64), ("llama.block_count", 1), ("llama.feed_forward_length", 128),
                                       ("llama.attention.head_count", 2), ("llama.context_length", context), ("llama.vocab_size", 16)]
        u32 = u32.map { ($0.0, overrides[$0.0] ?? $0.1) } + overrides.filter { k, _ in !u32.contains { $0.0 == k } }.sorted { $0.key < $1.key }
        var bytes = Array("GGUF".utf8) + le(UInt32(3)) + le(Int64(0)) + le(Int64(u32.count + f32.count + 1))
        bytes += string("general.architecture") + le(UInt32(8)) + string("llama")
        for (key, value) in u32 { bytes += string(key) + le(UInt32(4)) + le(value) }
        for (key, value) in f32 { bytes += string(key) + le(UInt32(6)) + le(value.bitPattern) }
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

    @Test("metadata a model cannot run with is refused at load, naming the key",
          .needsScopeExecutable,
          arguments: [
            ([String: UInt32](), [("llama.attention.layer_norm_rms_epsilon", Float.nan)], "'llama.attention.layer_norm_rms_epsilon' must be a positive finite number, got nan"),
            ([:], [("llama.rope.freq_base", Float.infinity)], "'llama.rope.freq_base' must be a positive finite number, got inf"),
            ([:], [("llama.rope.freq_base", Float(0))], "'llama.rope.freq_base' must be a positive finite number, got 0.0"),
            (["llama.block_count": UInt32.max], [], "'llama.block_count' is 4294967295, but the file has only 0 tensors"),
          ])
    func unusableMetadata(_ u32: [String: UInt32], _ f32: [(String, Float)], _ message: String) throws {
        let t = TemporaryFolder()
        let path = t.path + "/bad-metadata.gguf"
        try Self.metadataOnlyGGUF(context: 8192, u32: u32, f32: f32).write(to: URL(fileURLWithPath: path))
        let run = try #require(try ScopeExecutable.run(["logits", "--model", path, "--tokens", "1"]))
        #expect(run.status == 1, "exit \(run.status): \(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }
}
