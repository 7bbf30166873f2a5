import ArgumentParser

/// `scope longgenbench`: build the datasets, run a prefill × decoding setting, score the outputs.
struct LongGenBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "longgenbench",
        abstract: "LongGenBench (GSM8K+, MMLU+, CSQA+): build the data files, run a model, score the outputs.",
        subcommands: [LongGenBenchBuildCommand.self, LongGenBenchRunCommand.self, LongGenBenchScoreCommand.self, LongGenBenchPlotCommand.self]
    )
}
