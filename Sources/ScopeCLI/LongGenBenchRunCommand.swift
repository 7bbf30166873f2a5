import ArgumentParser
import Foundation
import LongGenBench

/// `--template`: the paper's prompt, the model's chat template, or the record's prompt as it is.
enum LongGenBenchTemplateChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case paper, chat, plain
}

/// `scope longgenbench run`: generate answers for a data file with one prefill × decoding setting.
struct LongGenBenchRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model on a LongGenBench data file; results go to OUT/<dataset>/<Prefill>+<decoding>[.shard-I-of-N].jsonl.",
        discussion: """
        One JSON line per finished example (prompt, questions, answers, length, pred, token counts, timings, KV stats, \
        and under "config" the model and data files, compression, template, max new tokens, sampling, KV type and \
        activations), flushed and fsynced. Rerunning the same command skips finished examples, so a killed run resumes where it \
        stopped. --shard I/N runs the examples j with j % N == I (0 ≤ I < N), e.g. --shard $SLURM_ARRAY_TASK_ID/8 \
        or --shard $JOB_COMPLETION_INDEX/8; `scope longgenbench score OUT` merges the shards.
        """)

    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "KV compression") var compression: KVCompressionOptions
    @OptionGroup(title: "Sampling") var sampling: SamplingFlags
    @OptionGroup(title: "Batching") var batching: BatchingOptions

    @Option(help: "LongGenBench data file (e.g. gsm8k_30.jsonl from `longgenbench build`).")
    var data: String

    @Option(help: "Results folder.")
    var out: String

    @Option(help: "gsm8k, mmlu, csqa, recall or repeats (default: from the data file name, folder or records).")
    var dataset: LongGenBenchDataset?

    @Option(name: .customLong("max-new-tokens"), parsing: .unconditional, help: "Tokens to generate per example (default: the paper's, 4096 for K=30, else 7950; recall: 8·K; repeats: 8·K·copies).")
    var maxNewTokens: Int?

    @Option(help: "paper (the paper's <<SYS>> prompt), chat (the model's chat template) or plain (the record's prompt as it is). Default: paper; chat for recall and repeats.")
    var template: LongGenBenchTemplateChoice?

    @Option(parsing: .unconditional, help: "Run only the first N examples.")
    var limit: Int?

    @Option(parsing: .unconditional, help: "Run the deterministic slice I of N (0 ≤ I < N).")
    var shard: String?

    @Flag(name: .customLong("all-mmlu-tasks"), help: "Keep the four MMLU tasks the paper drops to avoid running out of memory.")
    var allMMLUTasks = false

    func validate() throws {
        _ = try shardSpec()
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        if let maxNewTokens, maxNewTokens < 1 { throw ValidationError("--max-new-tokens must be at least 1, got \(maxNewTokens)") }
    }

    /// `--shard I/N` (a bad value is a validation error, exit 64).
    func shardSpec() throws -> ShardSpec {
        guard let shard else { return .whole }
        do { return try ShardSpec(parsing: shard) } catch let error as LongGenBenchError { throw ValidationError(error.description) }
    }

    func run() throws {
        let shardSpec = try shardSpec()
        let benchData = try LongGenBenchData.load(data, dataset: dataset)
        let maxTokens = maxNewTokens ?? LongGenBenchDataset.defaultMaxNewTokens(dataset: benchData.dataset, k: benchData.k)
        let template = self.template ?? (benchData.dataset.isSynthetic ? .chat : .paper)
        if template == .paper && benchData.dataset.isSynthetic {
            throw ValidationError("--template paper: \(benchData.dataset.rawValue) has no paper prompt (use chat or plain)")
        }
        let config = try compression.compressionConfig()
        let engine = try makeLongGenBenchEngine(model: modelOptions, config: config, sampling: sampling.options)
        let templateValue: LongGenBenchTemplate
        switch template {
        case .paper: templateValue = .paper
        case .chat:
            guard let format = engine.chatFormatter else {
                throw ValidationError("--template chat: the model has no chat template")
            }
            templateValue = .chat(format)
        case .plain: templateValue = .plain
        }
        let runner = LongGenBenchRunner(data: benchData, options: .init(
            label: config.longGenBenchLabel, maxNewTokens: maxTokens, template: templateValue, limit: limit,
            shard: shardSpec, keepAllMMLUTasks: allMMLUTasks,
            configuration: try longGenBenchRunConfiguration(model: modelOptions, config: config, sampling: sampling.options,
                                                            template: templateValue.name, maxNewTokens: maxTokens, dataPath: data)))
        let summary: LongGenBenchRunner.Summary
        do {
            summary = batching.isBatched
                ? try runner.run(outDir: out, concurrent: batching.generator(for: engine, config: config))
                : try runner.run(outDir: out, generator: engine.generator)
        } catch let failure as LongGenBenchRunner.CheckFailed where failure.underlying is ValidationError {
            throw ValidationError(failure.description)   // e.g. the context rule: exit 64 like every bad option
        }
        print("\(summary.resultsPath): \(summary.ran) run, \(summary.skipped) already done, \(summary.assigned) in this shard"
              + (summary.droppedTornBytes > 0 ? " (dropped a torn last line of \(summary.droppedTornBytes) bytes)" : ""))
    }
}
