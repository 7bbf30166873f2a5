import Analysis
import ArgumentParser
import Foundation
import KVCache

struct AnalyzeHeavyHittersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heavy-hitters",
        abstract: "Top-k keys of the head-averaged attention at chosen decoding steps (paper Figure 2b).",
        discussion: """
        The text is generated with a full cache; the overlap statistic compares the top-k prompt keys with \
        what a SnapKV prefill (--prefill snapkv, the default here) keeps: --prefill-budget (default \
        max(window + 1, round(fraction × prompt))), --window, --kernel, --pooling, --semantics and \
        --group-reduce set that selection. Decoding methods do not apply.
        """)

    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "KV compression") var compression: KVCompressionOptions
    @OptionGroup(title: "Sampling") var sampling: SamplingFlags
    @Option(name: .long, help: "Prompt text file (used verbatim; BOS added when the vocabulary has one).")
    var promptFile: String
    @Option(name: .long, parsing: .unconditional, help: "Tokens to generate.") var maxTokens: Int = 600
    @Option(name: .long, parsing: .unconditional, help: "Layers, comma-separated.") var layers: String = "0,13,29"
    @Option(name: .long, parsing: .unconditional, help: "Decoding steps (1-based), comma-separated.") var steps: String = "1,300,500"
    @Option(name: .long, help: "Fraction of visible keys in the top-k set.") var topkFraction: Double = 0.15
    @Flag(name: .long, help: "Stop at end-of-generation tokens (default: keep decoding so every step exists).")
    var stopAtEos = false
    @Option(name: .long, help: "Output directory.") var out: String

    func validate() throws {
        guard topkFraction > 0, topkFraction <= 1 else {   // NaN fails both
            throw ValidationError("--topk-fraction must be in (0, 1], got \(topkFraction)")
        }
        guard compression.prefill == .fullKV || compression.prefill == .snapKV else {
            throw ValidationError("--prefill \(compression.prefill.rawValue): the overlap statistic is defined for SnapKV (paper Figure 2b); use --prefill snapkv (the default here)")
        }
        guard compression.decoding == .none else {
            throw ValidationError("--decoding \(compression.decoding.rawValue) does not apply: the analysis generates with a full cache")
        }
        _ = try parseIntList(layers, option: "--layers")
        _ = try parseIntList(steps, option: "--steps")
    }

    func run() throws {
        do { try analyse() } catch let error as AnalysisError { throw ValidationError(error.description) }
    }

    func analyse() throws {
        let (model, tokenizer) = try modelOptions.load()
        let text = try readTextFile(promptFile, option: "--prompt-file")
        let prompt = tokenizer.encode(text, addSpecial: true)
        let layerList = try parseIntList(layers, option: "--layers")
        let stepList = try parseIntList(steps, option: "--steps")
        guard let last = stepList.max(), maxTokens > last else {
            throw ValidationError("--max-tokens (\(maxTokens)) must exceed the last step (\(stepList.max() ?? 0))")
        }
        let window = compression.window ?? 8
        let defaultBudget = max(window + 1, Int((topkFraction * Double(prompt.count)).rounded()))
        var snap = try compression.compressionConfig(defaultBudget: defaultBudget)
        snap.prefill = .snapKV
        snap.window = window
        try validateConfig(snap)
        let budget = snap.prefillBudget
        try checkContext(model, config: .fullKV, promptTokens: prompt.count, maxNewTokens: maxTokens, elementType: modelOptions.kvType)
        let options = HeavyHitterOptions(layers: layerList, steps: stepList, topkFraction: topkFraction,
                                         maxTokens: maxTokens, ignoreEndOfGeneration: !stopAtEos, snapKV: snap,
                                         sampling: sampling.options, elementType: modelOptions.kvType)
        let report = try HeavyHitterAnalysis.run(model: model, tokenizer: tokenizer, prompt: prompt, options: options)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let dir = URL(fileURLWithPath: out)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: dir.appendingPathComponent("heavy_hitters.json"))
        try HeavyHitterCSV.text(report).write(to: dir.appendingPathComponent("heavy_hitters.csv"), atomically: true, encoding: .utf8)
        try AnalysisFigures.heavyHitters(report).write(to: dir.appendingPathComponent("key_position_topk.png").path)
        try AnalysisFigures.generatedFraction(report).write(to: dir.appendingPathComponent("generated_fraction.png").path)
        print("prompt \(report.promptTokens) tokens, generated \(report.generatedTokens); SnapKV P=\(budget) compressed=\(report.snapKVCompressed)")
        for s in report.steps {
            let ov = s.snapKVOverlap.map { String(format: "%.3f", $0) } ?? "-"
            print(String(format: "layer %2d step %4d k=%4d generated=%.3f", s.layer, s.step, s.k, s.fractionGenerated) + " snapkv_overlap=\(ov)")
        }
        if !report.missingSteps.isEmpty { print("steps not reached: \(report.missingSteps)") }
    }
}
