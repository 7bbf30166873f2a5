import Foundation
import ScopeTestSupport
import Testing

/// Issue 11 item 1 and 3: huge max-token counts are refused before any allocation (they used to
/// abort with "failed to allocate 256000000512 bytes"), with exit 64 and the numbers named, and
/// `longgenbench run` leaves no empty results file behind.
@Suite(.enabled(if: scopeAndModel, scopeAndModelReason))
struct ContextRuleCommandTests {
    static let tooMany = "1000000000"

    @Test("generate, fidelity and bench refuse prompt + max tokens past the context", arguments: [
        ["generate", "--prompt", "Hello", "--max-tokens", tooMany],
        ["fidelity", "--prompt", "Hello", "--max-tokens", tooMany],
        ["bench", "--prompt-tokens", "16", "--gen-tokens", tooMany],
        ["generate", "--prompt", "Hello", "--max-tokens", tooMany, "--prefill", "snapkv", "--decoding", "slide"],
    ])
    func refused(_ arguments: [String]) throws {
        let run = try #require(try ScopeExecutable.run(arguments))
        #expect(run.status == 64, "exit \(run.status): \(run.stderr)")
        #expect(run.stderr.contains("+ max new tokens (1000000000)"))
        #expect(run.stderr.contains("exceeds the model's context of 8192 tokens"))
    }

    @Test("longgenbench run --max-new-tokens past the context: refused, no results file")
    func longGenBenchRefusedLeavesNothing() throws {
        let t = TemporaryFolder()
        let data = t.write("data/gsm8k_2.jsonl", gsm8kRecord(prompt: "What is 1 + 1?", k: 2))
        let out = (t.path as NSString).appendingPathComponent("results")
        let run = try #require(try ScopeExecutable.run(["longgenbench", "run", "--data", data, "--out", out,
                                                        "--max-new-tokens", Self.tooMany]))
        #expect(run.status == 64, "exit \(run.status): \(run.stderr)")
        #expect(run.stderr.contains("example 0"))
        #expect(run.stderr.contains("exceeds the model's context of 8192 tokens"))
        #expect(!FileManager.default.fileExists(atPath: out), "left behind: \(t.files)")
    }

    @Test("LongGenBench's default 7,950 new tokens after a long prompt on SmolLM2 is caught up front")
    func longGenBenchDefaultCaught() throws {
        let t = TemporaryFolder()
        let words = Array(repeating: "Natalia sold clips to many friends in April and May.", count: 60).joined(separator: " ")
        let data = t.write("data/gsm8k_2.jsonl", gsm8kRecord(prompt: words, k: 2))
        let out = (t.path as NSString).appendingPathComponent("results")
        let run = try #require(try ScopeExecutable.run(["longgenbench", "run", "--data", data, "--out", out]))
        #expect(run.status == 64, "exit \(run.status): \(run.stderr)")
        #expect(run.stderr.contains("+ max new tokens (7950)"))
        #expect(!FileManager.default.fileExists(atPath: out), "left behind: \(t.files)")
    }
}
