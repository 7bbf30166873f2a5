import ArgumentParser
import Foundation
import Generation
import Kernels
import GGUF
import KVCache
import Model
import Tokenizer

/// `scope bench`: prefill and decode speed at several prompt lengths, load time, peak RSS, KV bytes.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prefill/decode speed, time to first token, load time, peak RSS and KV bytes.")

    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "KV compression") var compression: KVCompressionOptions
    @OptionGroup(title: "Sampling") var sampling: SamplingFlags

    @Option(name: .customLong("prompt-file"), help: "Text whose first N tokens form the prompt (repeated if short).")
    var promptFile: String?

    @Option(name: .customLong("prompt-tokens"), parsing: .unconditional, help: "Comma-separated prompt lengths.")
    var promptTokens: String = "512,2048,4096"

    @Option(name: .customLong("gen-tokens"), parsing: .unconditional, help: "Tokens generated after each prompt (greedy unless --temperature is given).")
    var genTokens: Int = 128

    @Option(name: .long, parsing: .unconditional, help: "Repetitions per prompt length (the best is reported).")
    var repeats: Int = 1

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @Option(name: .long, parsing: .unconditional, help: "Comma-separated numbers of sequences decoded together (batched decoding; one --prompt-tokens value).")
    var parallel: String?

    @OptionGroup var kvBudget: KVBudgetOption

    @Option(parsing: .unconditional, help: "With --parallel: requests submitted to the batch scheduler per count (default: the count; implies the scheduler).")
    var requests: Int?

    @Option(help: ArgumentHelp("With --parallel: flip this timing switch every decoding step and compare the median step time with it on and off.",
                               discussion: "Switches: " + TimingSwitch.all.map { "\($0.name) (\($0.summary); \($0.environmentVariable)=0 turns it off for a whole run)" }.joined(separator: "; ") + "."))
    var interleave: String?

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be ≥ 1, got \(repeats)") }
        guard genTokens >= 1 else { throw ValidationError("--gen-tokens must be ≥ 1, got \(genTokens)") }
        if let interleave {
            guard TimingSwitch.named(interleave) != nil else {
                throw ValidationError("--interleave: no timing switch '\(interleave)' (switches: \(TimingSwitch.all.map(\.name).joined(separator: ", ")))")
            }
            guard parallel != nil, !kvBudget.isGiven, requests == nil else {
                throw ValidationError("--interleave needs --parallel (batched steps), without --kv-budget-mb or --requests")
            }
            guard genTokens >= 3 else { throw ValidationError("--interleave needs --gen-tokens ≥ 3 (a step on each side), got \(genTokens)") }
        }
        let lengths = try promptLengths()
        if let parallel {
            _ = try BatchFlags.parallelList(parallel)
            guard lengths.count == 1 else { throw ValidationError("--parallel needs exactly one --prompt-tokens value, got \(lengths.count)") }
        } else if kvBudget.isGiven || requests != nil {
            throw ValidationError("--kv-budget-mb and --requests need --parallel (they configure the batch scheduler runs)")
        }
        if let requests, requests < 1 { throw ValidationError("--requests must be at least 1, got \(requests)") }
    }

    /// `--prompt-tokens`: at least one positive length, separated by commas.
    func promptLengths() throws -> [Int] {
        try promptTokens.split(separator: ",", omittingEmptySubsequences: false).map { s -> Int in
            guard let v = Int(s.trimmingCharacters(in: .whitespaces)), v > 0 else {
                throw ValidationError("--prompt-tokens: '\(s)' is not a positive length (give lengths separated by commas, like 512,2048)")
            }
            return v
        }
    }

    func run() throws {
        let lengths = try promptLengths()
        let t0 = Date()
        let (model, tokenizer) = try modelOptions.load()
        let loadSeconds = Date().timeIntervalSince(t0)
        let text: String
        if let promptFile {
            text = try readTextFile(promptFile, option: "--prompt-file")
            guard !text.isEmpty else { throw CLIError("--prompt-file \(promptFile) is empty") }
        } else {
            text = benchDefaultText
        }
        let base = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
        guard !base.isEmpty else { throw CLIError("the prompt text encodes to no tokens") }
        let generator = Generator(model: model, tokenizer: tokenizer)
        // Every length is checked against the context before the first is measured.
        let config = try compression.compressionConfig()
        for n in lengths {
            try checkContext(model, config: config, promptTokens: n, maxNewTokens: genTokens, elementType: modelOptions.kvType)
        }
        var prefill: [[String: Any]] = [], decode: [[String: Any]] = []
        var kvPeak = 0
        // The scheduler runs (--kv-budget-mb/--requests) measure their own prefill and decoding.
        let schedulerMode = parallel != nil && (kvBudget.isGiven || requests != nil)
        for n in schedulerMode ? [] : lengths {
            var prompt: [Int32] = []
            while prompt.count < n { prompt += base }
            prompt = Array(prompt.prefix(n))
            var best: GenerationStats?
            for _ in 0..<repeats {
                let cache = try modelOptions.cache(for: model, config: config, promptTokens: n, maxNewTokens: genTokens)
                // Never stop early: an end-of-generation token would shorten the decode measurement.
                let r = try generator.generate(prompt: prompt, maxTokens: genTokens, sampling: sampling.options, cache: cache,
                                               ignoreEndOfGeneration: true)
                if best == nil || r.stats.prefillSeconds + r.stats.decodeSeconds < best!.prefillSeconds + best!.decodeSeconds {
                    best = r.stats
                }
            }
            let s = best!
            kvPeak = max(kvPeak, s.kvBytesPeak)
            prefill.append(["tokens": n, "tokens_per_second": s.prefillTokensPerSecond, "seconds": s.prefillSeconds])
            var entry: [String: Any] = ["context": n, "tokens_per_second": s.decodeTokensPerSecond, "tokens": s.generatedTokens,
                                        "kv_bytes_peak": s.kvBytesPeak, "selection_seconds": s.selectionSeconds,
                                        "time_to_first_token_seconds": s.prefillSeconds, "kv_tokens_per_layer": s.kvTokensPerLayer]
            if !s.kvLayerKinds.isEmpty { entry["kv_layer_kinds"] = s.kvLayerKinds }
            decode.append(entry)
            if !json {
                print(String(format: "prompt %5d: prefill %7.1f tok/s (ttft %.3f s) | decode %6.1f tok/s over %d tokens | KV peak %.1f MiB",
                             n, s.prefillTokensPerSecond, s.prefillSeconds, s.decodeTokensPerSecond, s.generatedTokens,
                             Double(s.kvBytesPeak) / 1_048_576))
                if let summary = s.kvLayerSummary { print("             \(summary)") }
            }
        }
        var parallelRuns: [[String: Any]] = []
        if let parallel {
            let counts = try BatchFlags.parallelList(parallel)
            let bench = ParallelBench(model: model, base: base, promptTokens: lengths[0], genTokens: genTokens,
                                      config: config, elementType: modelOptions.kvType,
                                      interleave: interleave.flatMap(TimingSwitch.named))
            if schedulerMode {
                parallelRuns = try SchedulerBench(bench: bench, tokenizer: tokenizer, budgetBytes: kvBudget.bytes,
                                                  requests: requests).run(counts, quiet: json)
            } else {
                parallelRuns = try bench.run(counts, quiet: json)
            }
        }
        let rss = peakRSSBytes()
        if json {
            var output: [String: Any] = ["prefill": prefill, "decode": decode, "load_seconds": loadSeconds, "peak_rss_bytes": rss,
                                         "kv_bytes_peak": kvPeak, "threads": model.pool.threadCount, "kv_type": modelOptions.kvType.rawValue,
                                         "activations": model.activations.rawValue, "model": modelOptions.resolvedPath]
            if parallel != nil { output["parallel"] = parallelRuns }
            try printJSON(output)
        } else {
            print(String(format: "load %.3f s | peak RSS %.1f MiB | threads %d", loadSeconds, Double(rss) / 1_048_576, model.pool.threadCount))
        }
    }
}

/// Peak resident set size of this process (VmHWM), in bytes; 0 when unknown.
func peakRSSBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
    }
    return 0
}

/// Plain English text used when no --prompt-file is given.
let benchDefaultText = """
The history of the lighthouse is a history of people who kept watch so that others could travel safely. \
Long before electric lamps, keepers climbed narrow stairs every evening to trim wicks, polish lenses and \
wind the clockwork that turned the light. Ships counted the flashes to know which coast they were passing, \
and a keeper's log recorded the weather, the passing vessels and the oil burned each night. \
Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. \
How many clips did Natalia sell altogether in April and May? Weng earns 12 dollars an hour for babysitting. \
Yesterday, she just did 50 minutes of babysitting. How much did she earn? Betty is saving money for a new wallet \
which costs 100 dollars. Betty has only half of the money she needs. Her parents decided to give her 15 dollars \
for that purpose, and her grandparents twice as much as her parents. How much more money does Betty need to buy the wallet?

"""
