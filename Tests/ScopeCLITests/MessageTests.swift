import Foundation
import ScopeTestSupport
import Testing

/// Issue 11 item 7: each message says what is wrong.
@Suite(.enabled(if: scopeAndModel, scopeAndModelReason))
struct MessageTests {
    @Test("a missing prompt file or a folder is named as such, not as 'cannot read … as UTF-8'")
    func promptFile() throws {
        let t = TemporaryFolder()
        let missing = try scopeStderr(["generate", "--prompt-file", t.path + "/none.txt"], status: 1)
        #expect(missing.contains("--prompt-file \(t.path)/none.txt: no such file"))
        let folder = try scopeStderr(["generate", "--prompt-file", t.path], status: 1)
        #expect(folder.contains("--prompt-file \(t.path) is a folder, not a file"))
        let bench = try scopeStderr(["bench", "--prompt-file", t.path, "--prompt-tokens", "8", "--gen-tokens", "1"], status: 1)
        #expect(bench.contains("is a folder, not a file"))
    }

    @Test("--json-schema: a schema it cannot follow names the file and the keyword; one it can gives an instance")
    func jsonSchemaFile() throws {
        let t = TemporaryFolder()
        let bad = t.path + "/bad.json", good = t.path + "/good.json"
        try #"{"type": "object", "properties": {"age": {"type": "integer", "minimum": 0}}}"#.write(toFile: bad, atomically: true, encoding: .utf8)
        let message = try scopeStderr(["generate", "--prompt", "Hi", "--json-schema", bad], status: 1)
        #expect(message.contains("--json-schema \(bad): properties.age.minimum: the keyword 'minimum' is not supported"), "\(message)")
        try #"{"type": "object", "properties": {"age": {"type": "integer"}, "ok": {"type": "boolean"}}, "required": ["age", "ok"]}"#
            .write(toFile: good, atomically: true, encoding: .utf8)
        let run = try #require(try ScopeExecutable.run(["generate", "--chat", "Give a JSON object with an age and ok.", "--max-tokens", "40",
                                                         "--json-schema", good, "--json"]))
        #expect(run.status == 0, "exit \(run.status): \(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: run.stdoutData) as? [String: Any])
        let text = try #require(object["text"] as? String)
        let value = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
        #expect(Set(value.keys) == ["age", "ok"] && value["age"] is Int, "\(text)")
    }

    @Test("--add-bos prepends exactly one BOS token")
    func addBOS() throws {
        func promptTokens(_ extra: [String]) throws -> Int {
            let run = try #require(try ScopeExecutable.run(["generate", "--prompt", "Hello", "--max-tokens", "1", "--json"] + extra))
            #expect(run.status == 0, "exit \(run.status): \(run.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: run.stdoutData) as? [String: Any])
            return try #require((object["stats"] as? [String: Any])?["prompt_tokens"] as? Int)
        }
        #expect(try promptTokens(["--add-bos"]) == promptTokens([]) + 1)
    }

    @Test("streamingllm --prefill-budget 1 names the budget, not a --window that was never given")
    func streamingBudget() throws {
        let message = try scopeStderr(["generate", "--prompt", "Hi", "--prefill", "streamingllm", "--prefill-budget", "1"], status: 64)
        #expect(message.contains("--prefill-budget 1 is too small for streamingllm"))
        #expect(!message.contains("--window must"))
    }

    @Test("score on a folder without results exits non-zero")
    func scoreEmptyFolder() throws {
        let t = TemporaryFolder()
        let message = try scopeStderr(["longgenbench", "score", t.path], status: 1)
        #expect(message.contains("no result files under \(t.path)"))
    }

    @Test("bench --repeats 0 is rejected")
    func benchRepeatsZero() throws {
        #expect(try scopeStderr(["bench", "--repeats", "0"], status: 64).contains("--repeats must be ≥ 1, got 0"))
    }

    @Test("bench --interleave: an unknown switch names the valid ones; without --parallel it is rejected; with it each count reports both sides")
    func benchInterleave() throws {
        let unknown = try scopeStderr(["bench", "--parallel", "2", "--interleave", "nope"], status: 64)
        #expect(unknown.contains("--interleave: no timing switch 'nope' (switches: attention-prefetch, append-prefetch, whole-head-tasks, grouped-attention, packed-prefetch)"))
        #expect(try scopeStderr(["bench", "--interleave", "attention-prefetch"], status: 64).contains("--interleave needs --parallel"))
        #expect(try scopeStderr(["bench", "--parallel", "2", "--interleave", "append-prefetch", "--gen-tokens", "2"], status: 64)
            .contains("--interleave needs --gen-tokens ≥ 3"))
        let run = try #require(try ScopeExecutable.run(["bench", "--parallel", "1,2", "--prompt-tokens", "16", "--gen-tokens", "6",
                                                        "--interleave", "whole-head-tasks", "--json"]))
        #expect(run.status == 0, "exit \(run.status): \(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: run.stdoutData) as? [String: Any])
        let entries = try #require(object["parallel"] as? [[String: Any]])
        #expect(entries.count == 2)
        for entry in entries {
            // Five steps: two complete pairs (off–on, on–off) and one more step off.
            let s = try #require(entry["interleave"] as? [String: Any])
            #expect(s["switch"] as? String == "whole-head-tasks")
            #expect(s["pairs"] as? Int == 2)
            #expect((s["pairs_on_faster"] as? Int).map { (0...2).contains($0) } == true)
            #expect((s["median_step_ms_on"] as? Double ?? 0) > 0 && (s["median_step_ms_off"] as? Double ?? 0) > 0)
        }
    }

    @Test("--max-tokens -1 says the value is out of range, not 'Missing value'")
    func negativeMaxTokens() throws {
        let message = try scopeStderr(["generate", "--prompt", "Hi", "--max-tokens", "-1"], status: 64)
        #expect(message.contains("--max-tokens must be ≥ 0, got -1"))
        #expect(!message.contains("Missing value"))
    }
}
