import Foundation
import ScopeTestSupport
import Testing

/// Issue 18: `longgenbench run` takes the model, compression and sampling groups and records the
/// chosen settings in every result line; issue 11: resuming with other settings is refused.
@Suite(.enabled(if: scopeAndModel, scopeAndModelReason))
struct LongGenBenchRunSettingsTests {
    @Test("run --kv-type f16 --temperature 0.7 --seed 3 works, records them, and refuses to resume with --kv-type f32 or with --min-p and a penalty")
    func recordsSettings() throws {
        let t = TemporaryFolder()
        let data = t.write("data/gsm8k_1.jsonl", gsm8kRecord(prompt: "Question_9: What is 1 + 1?", k: 1))
        let out = t.path + "/results"
        let common = ["longgenbench", "run", "--data", data, "--out", out, "--max-new-tokens", "4", "--template", "plain",
                      "--temperature", "0.7", "--seed", "3", "--prefill", "snapkv", "--prefill-budget", "16"]
        let run = try #require(try ScopeExecutable.run(common + ["--kv-type", "f16"]))
        #expect(run.status == 0, "exit \(run.status): \(run.stderr)")
        let file = out + "/gsm8k/SnapKV+None.jsonl"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let config = try #require(object["config"] as? [String: Any])
        #expect(config["kv_type"] as? String == "f16")
        #expect(config["activations"] as? String == "f32")
        #expect(config["prefill"] as? String == "snapkv")
        #expect(config["prefill_budget"] as? Int == 16)
        #expect(config["max_new_tokens"] as? Int == 4)
        #expect(config["template"] as? String == "plain")
        let sampling = try #require(config["sampling"] as? [String: Any])
        #expect(sampling["temperature"] as? Double == 0.7)
        #expect(sampling["seed"] as? String == "3")
        let model = try #require(config["model"] as? [String: Any])
        #expect((model["sha256"] as? String)?.count == 64)

        let again = try #require(try ScopeExecutable.run(common + ["--kv-type", "f32"]))
        #expect(again.status == 1, "exit \(again.status): \(again.stderr)")
        #expect(again.stderr.contains("was written with a different configuration"))
        #expect(again.stderr.contains("kv_type: \"f16\" vs \"f32\""))
        #expect(try String(contentsOfFile: file, encoding: .utf8) == text)
        #expect(sampling["min_p"] == nil && sampling["frequency_penalty"] == nil, "defaults are not recorded: \(sampling)")

        // min-p and the penalties are settings too: a rerun with them does not resume into this run.
        let other = try #require(try ScopeExecutable.run(common + ["--kv-type", "f16", "--min-p", "0.1", "--frequency-penalty", "0.5"]))
        #expect(other.status == 1, "exit \(other.status): \(other.stderr)")
        #expect(other.stderr.contains("was written with a different configuration") && other.stderr.contains("min_p"), "\(other.stderr)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == text)
    }
}
