import Generation
import KVCache
import Testing

/// The context rule (issue 11): prompt + max new tokens ≤ the model's context, whatever the
/// compression; refusals name every number; the worst-case bytes follow the full cache's closed form.
struct ContextLimitTests {
    /// SmolLM2-135M's geometry and context.
    static let shape = CacheShape(layers: 30, queryHeads: 9, kvHeads: 3, headDim: 64)
    static let context = 8192

    func refusal(_ n: Int, _ t: Int, context: Int = context, config: CompressionConfig = .fullKV) -> String? {
        do {
            _ = try ContextLimit.check(promptTokens: n, maxNewTokens: t, contextLength: context, config: config, shape: Self.shape)
            return nil
        } catch let error as ContextLimitError {
            return error.description
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test("a full cache past the context is refused with the numbers (the 1,000,000,000-token crash)")
    func fullCachePastContext() throws {
        let message = try #require(refusal(2, 1_000_000_000))
        #expect(message.contains("prompt (2 tokens) + max new tokens (1000000000) = 1000000002"))
        #expect(message.contains("context of 8192 tokens"))
        #expect(message.contains("at most 8190 new tokens"))
    }

    @Test("max new tokens of Int.max: refused in words, without overflowing n + T")
    func overflowingSum() throws {
        let message = try #require(refusal(3, Int.max))
        #expect(message.contains("prompt (3 tokens) + max new tokens (\(Int.max)) = more than \(Int.max) exceeds"))
        #expect(message.contains("at most 8189 new tokens"))
    }

    @Test("LongGenBench's default 7,950 new tokens after a 4K prompt on SmolLM2 is refused")
    func longGenBenchDefault() throws {
        let message = try #require(refusal(4000, 7950))
        #expect(message.contains("= 11950 exceeds the model's context of 8192"))
    }

    @Test("a bounded (compressed) cache is refused past the context too, saying why")
    func compressedPastContext() throws {
        let slide = CompressionConfig(prefill: .snapKV, decoding: .slide, prefillBudget: 1024, decodingWindow: 512, recent: 256)
        let message = try #require(refusal(4000, 7950, config: slide))
        #expect(message.contains("compressed cache would stay bounded"))
        #expect(message.contains("RoPE"))
    }

    @Test("exactly the context is accepted; the worst case of a full cache is L·(n+T−1) rows")
    func exactlyTheContext() throws {
        let (n, t) = (100, Self.context - 100)
        let plan = try ContextLimit.check(promptTokens: n, maxNewTokens: t, contextLength: Self.context, config: .fullKV, shape: Self.shape)
        #expect(plan.positions == Self.context)
        let rowBytes = Self.shape.kvHeads * 2 * Self.shape.headDim * 4
        #expect(plan.worstCaseKVBytes == Self.shape.layers * (n + t - 1) * rowBytes)
        let half = try ContextLimit.check(promptTokens: n, maxNewTokens: t, contextLength: Self.context, config: .fullKV,
                                          shape: Self.shape, elementType: .f16)
        #expect(half.worstCaseKVBytes * 2 == plan.worstCaseKVBytes)
    }

    @Test("a context length of 0, a prompt longer than the context, negative max tokens: clear errors")
    func badNumbers() throws {
        #expect(try #require(refusal(1, 1, context: 0)).contains("context length is 0"))
        #expect(try #require(refusal(8348, 0)).contains("the prompt has 8348 tokens, more than the model's context of 8192 tokens"))
        #expect(try #require(refusal(1, -1)).contains("max new tokens must be ≥ 0, got -1"))
        #expect(try #require(refusal(0, 1)).contains("the prompt is empty"))
    }
}
