import Foundation
import ScopeTestSupport
import Testing

/// Issue 11 item 7: one exit code per kind of failure. 64 (EX_USAGE): the command line is wrong —
/// an unknown option, a bad value or combination, or numbers the model cannot take (the context
/// rule). 1: the inputs or the run failed — a missing or malformed file, a model that cannot load.
@Suite(.enabled(if: scopeAndModel, scopeAndModelReason))
struct ExitCodeTests {
    static let usage: [[String]] = [
        ["generate", "--prompt", "Hi", "--max-tokens", "-1"],
        ["generate", "--prompt", "Hi", "--kv-type", "f8"],
        ["generate", "--prompt", "Hi", "--prefill", "nope"],
        ["generate", "--prompt", "Hi", "--temperature", "-1"],
        ["generate", "--prompt", "Hi", "--top-p", "2"],
        ["generate", "--prompt", "Hi", "--min-p", "-0.1"],
        ["generate", "--prompt", "Hi", "--threads", "0"],
        ["generate", "--prompt", "Hi", "--threads", "100000"],
        ["generate", "--prompt", "Hi", "--prefill", "streamingllm", "--prefill-budget", "1"],
        ["generate", "--chat", "Hi", "--add-bos"],
        ["generate", "--prompt", "Hi", "--max-tokens", "1000000000"],
        ["generate", "--prompt", "Hi", "--json-object", "--json-schema", "s.json"],
        ["bench", "--repeats", "0"],
        ["bench", "--parallel", "2", "--interleave", "nope"],
        ["fidelity", "--prompt", "Hi", "--max-tokens", "0"],
        ["longgenbench", "run", "--data", "d.jsonl", "--out", "o", "--limit", "0"],
        ["longgenbench", "run", "--data", "d.jsonl", "--out", "o", "--shard", "3/2"],
        ["analyze", "heavy-hitters", "--prompt-file", "p.txt", "--out", "o", "--decoding", "slide"],
    ]

    @Test("validation errors exit 64 with a message", arguments: usage)
    func usageErrors(_ arguments: [String]) throws {
        let run = try #require(try ScopeExecutable.run(arguments))
        #expect(run.status == 64, "\(arguments.joined(separator: " ")): exit \(run.status): \(run.stderr)")
        #expect(run.stderr.contains("Error:"))
    }

    @Test("input and run failures exit 1", arguments: [
        ["generate", "--prompt-file", "/nonexistent/p.txt"],
        ["generate", "--model", "/nonexistent/m.gguf", "--prompt", "Hi"],
        ["generate", "--prompt", "Hi", "--json-schema", "/nonexistent/schema.json"],
        ["longgenbench", "score", "/nonexistent/results"],
    ])
    func inputErrors(_ arguments: [String]) throws {
        let run = try #require(try ScopeExecutable.run(arguments))
        #expect(run.status == 1, "\(arguments.joined(separator: " ")): exit \(run.status): \(run.stderr)")
    }
}

