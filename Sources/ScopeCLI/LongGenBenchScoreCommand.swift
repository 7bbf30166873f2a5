import ArgumentParser
import Foundation
import LongGenBench

extension ScorerKind: ExpressibleByArgument {}

/// `scope longgenbench score`: the paper's table (or CSV/JSON) from result folders or files.
struct LongGenBenchScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score LongGenBench outputs (paper, by-index or corrected scorer) and print the paper-style table.",
        discussion: """
        PATH may be a results folder in our layout (DIR/<dataset>/<Prefill>+<decoding>[.shard-I-of-N].jsonl), \
        a folder in the reference layout (<P>+<d>_decoding_window_<dw>_recent_window_<dr>/<model>_<P>/<dataset>/<Prefill>.json[l]), \
        any folder holding those, or single files. Shards of a run are merged. Markdown and CSV show the datasets some \
        run has results for (– or an empty cell where a run has none); --paper-format keeps the paper's three columns \
        with -1 for a dataset without a file, as the reference scripts (JSON always does). The table has a Recall \
        column when some run has results in a recall/ folder and a Repeats column for repeats/ (the synthetic tasks; one scorer each).
        """)

    @Argument(help: "Result folders or files.")
    var paths: [String]

    @Option(help: "paper, by-index or corrected.")
    var scorer: ScorerKind = .paper

    @Flag(help: "Print JSON: {\"scores\":{dataset:score},\"by_position\":{dataset:[accuracy per position]}} (a list under \"runs\" when several runs are found).")
    var json = false

    @Flag(help: "Print CSV instead of Markdown.")
    var csv = false

    @Flag(name: .customLong("by-position"), help: "Also print accuracy by question position (Markdown output).")
    var byPosition = false

    @Flag(name: .customLong("paper-format"), help: "Markdown/CSV: the paper's gsm8k, mmlu, csqa columns always, -1 where a run has no results.")
    var paperFormat = false

    func run() throws {
        let files = try ResultsDiscovery.discover(paths)
        let runs = try ScoreReport.score(files: files, scorer: scorer)
        for warning in ResultsDiscovery.incompleteShards(files) {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        guard !runs.isEmpty else {
            throw CLIError("no result files under \(paths.joined(separator: ", ")) (expected DIR/<dataset>/<Prefill>+<decoding>.jsonl or the reference layout)")
        }
        if json {
            print(ScoreReport.json(runs))
        } else if csv {
            print(ScoreReport.csv(runs, paperFormat: paperFormat), terminator: "")
        } else {
            print(ScoreReport.markdown(runs, paperFormat: paperFormat), terminator: "")
            if byPosition { print(ScoreReport.positionMarkdown(runs), terminator: "") }
        }
    }
}
