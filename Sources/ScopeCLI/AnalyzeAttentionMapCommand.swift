import Analysis
import ArgumentParser
import Foundation

struct AnalyzeAttentionMapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention-map", abstract: "Heatmap of one head's attention (prefill, or after N generated tokens).")

    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "Sampling") var sampling: SamplingFlags
    @Option(name: .long, help: "Prompt text file.") var promptFile: String
    @Option(name: .long, parsing: .unconditional, help: "Tokens to generate first (0: the prefill map).") var maxTokens: Int = 0
    @Option(name: .long, help: "Layer.") var layer: Int = 13
    @Option(name: .long, help: "Query head.") var head: Int = 0
    @Option(name: .long, parsing: .unconditional, help: "Probability at which the colours saturate.") var clip: Double = 0.01
    @Option(name: .long, help: "Output file (.png or .svg).") var out: String

    func validate() throws {
        guard clip > 0, clip <= 1 else { throw ValidationError("--clip must be a probability in (0, 1], got \(clip)") }   // NaN fails both
    }

    func run() throws {
        do { try analyse() } catch let error as AnalysisError { throw ValidationError(error.description) }
    }

    func analyse() throws {
        let (model, tokenizer) = try modelOptions.load()
        let prompt = tokenizer.encode(try readTextFile(promptFile, option: "--prompt-file"), addSpecial: true)
        try checkContext(model, config: .fullKV, promptTokens: prompt.count, maxNewTokens: maxTokens, elementType: modelOptions.kvType)
        let m = try AttentionMapAnalysis.run(model: model, tokenizer: tokenizer, prompt: prompt, maxTokens: maxTokens,
                                             layer: layer, head: head, sampling: sampling.options,
                                             elementType: modelOptions.kvType)
        try AnalysisFigures.attentionMap(m, layer: layer, head: head, clip: clip).write(to: out)
        print("wrote \(out): \(m.size)×\(m.size) (prompt \(m.promptTokens) tokens)")
    }
}
