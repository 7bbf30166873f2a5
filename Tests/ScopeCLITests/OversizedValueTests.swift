import Foundation
import ScopeTestSupport
import Testing

/// Numbers too large for what they size (found by a hardening sweep: each of these used to trap on an
/// overflow, fail an allocation or run out of memory) are refused before any work, exit 64, with a
/// message naming the flag and the limit.
@Suite(.enabled(if: scopeAndModel, scopeAndModelReason))
struct OversizedValueTests {
    static let big = String(Int.max)

    static let cases: [(arguments: [String], message: String)] = [
        (["generate", "--prompt", "Hi", "--max-tokens", big], "= more than \(Int.max) exceeds the model's context"),
        (["bench", "--prompt-tokens", "8", "--gen-tokens", big], "= more than \(Int.max) exceeds the model's context"),
        (["generate", "--prompt", "Hi", "--prefill", "pyramidkv", "--prefill-budget", big], "--prefill-budget must be at most 16777216"),
        (["generate", "--prompt", "Hi", "--decoding", "slide", "--decoding-window", big, "--recent", "1"],
         "--decoding-window must be at most 16777216"),
        (["generate", "--prompt", "Hi", "--decoding", "rkv", "--param", "query-window=\(big)"], "--param query-window=\(big): must be a finite number of magnitude at most 16777216"),
        (["generate", "--prompt", "Hi", "--decoding", "rkv", "--interval", big], "interval=\(big): must be a finite number of magnitude at most 16777216"),
        (["serve", "--decoding", "slide", "--decoding-window", big, "--recent", "1"], "--decoding-window must be at most 16777216"),
        (["serve", "--max-body-kb", "9007199254740992"], "--max-body-kb must be in 1...1048576"),
        (["serve", "--kv-budget-mb", "17592186044417"], "--kv-budget-mb must be a positive number of MiB, at most 16777216"),
        (["serve", "--parallel", "100000"], "--parallel must be a sequence count in 1...256"),
        (["serve", "--prompt-cache-mb", "17592186044417"], "--prompt-cache-mb must be a number of MiB in 0...16777216 (0: off)"),
        (["serve", "--prompt-cache-mb", "-1"], "--prompt-cache-mb must be a number of MiB in 0...16777216 (0: off), got -1.0"),
        (["serve", "--prompt-cache-mb", "nan"], "--prompt-cache-mb must be a number of MiB"),
        (["bench", "--prompt-tokens", "8", "--parallel", "2", "--kv-budget-mb", "8796093022208"], "--kv-budget-mb must be a positive number of MiB"),
        (["bench", "--prompt-tokens", "8", "--parallel", "0"], "--parallel: '0' is not a sequence count in 1...256"),
        (["bench", "--prompt-tokens", ""], "--prompt-tokens: '' is not a positive length"),
        (["bench", "--prompt-tokens", "8,,16"], "--prompt-tokens: '' is not a positive length"),
        (["bench", "--prompt-tokens", "-5"], "--prompt-tokens: '-5' is not a positive length"),
        (["bench", "--prompt-tokens", "8", "--kv-budget-mb", "10"], "--kv-budget-mb and --requests need --parallel"),
        (["longgenbench", "run", "--data", "d.jsonl", "--out", "o", "--parallel", "2", "--kv-budget-mb", "8796093022208"],
         "--kv-budget-mb must be a positive number of MiB"),
        (["longgenbench", "build", "--dataset", "repeats", "--k", "4", "--copies", big, "--out", "o.jsonl"],
         "repeats: --k × --copies × --count = more than \(Int.max) fact lines, more than the limit of 10000000"),
        (["longgenbench", "build", "--dataset", "recall", "--k", "4", "--count", big, "--out", "o.jsonl"],
         "recall: --k × --count = more than \(Int.max) fact lines"),
        (["longgenbench", "build", "--dataset", "recall", "--k", "-1", "--out", "o.jsonl"], "recall: --k must be at least 1 (got -1)"),
        (["analyze", "heavy-hitters", "--prompt-file", "p.txt", "--out", "o", "--topk-fraction", "nan"], "--topk-fraction must be in (0, 1], got nan"),
        (["analyze", "heavy-hitters", "--prompt-file", "p.txt", "--out", "o", "--layers", "0,13,0"], "--layers: 0 is listed twice (item 3)"),
        (["analyze", "attention-map", "--prompt-file", "p.txt", "--out", "o.png", "--clip", "0"], "--clip must be a probability in (0, 1], got 0.0"),
    ]

    @Test("oversized and out-of-range values exit 64 before any work, naming the flag", arguments: cases)
    func refused(_ arguments: [String], _ message: String) throws {
        let t = TemporaryFolder()
        // Input and output paths inside a fresh folder, which must stay empty.
        let placeholders: Set = ["o", "o.jsonl", "o.png", "d.jsonl", "p.txt"]
        let arguments = arguments.map { placeholders.contains($0) ? t.path + "/" + $0 : $0 }
        let run = try #require(try ScopeExecutable.run(arguments))
        let command = arguments.joined(separator: " ")
        #expect(run.status == 64, "\(command): exit \(run.status): \(run.stderr)")
        #expect(run.stderr.contains(message), "\(command): \(run.stderr)")
        #expect(run.stdout.isEmpty, "\(command) did work before refusing: \(run.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: t.path).isEmpty, "\(command) wrote files")
    }
}
