import ArgumentParser
import Foundation
import KVCache

struct ConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Replay reference vectors through the engine's code.",
        subcommands: [KVConformanceCommand.self]
    )
}

/// `scope conformance kv DIR`: replays a KV selection vectors folder in reference semantics.
struct KVConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv",
        abstract: "Replay every prefill case and trace of a KV vectors folder (like ../shared/conformance/kv); exit 1 on any difference."
    )

    @Argument(help: "Folder holding prefill_cases.json, trace_inputs.json and trace_*.json (budgets.json is checked when present).")
    var directory: String

    @Flag(name: .long, help: "Print every mismatch, not only the first three per file.")
    var verbose = false

    func run() throws {
        let results: [ConformanceFileResult]
        do {
            results = try KVConformance.run(directory: URL(fileURLWithPath: directory))
        } catch let error as ConformanceError {
            throw ValidationError(error.description)
        }
        // A file without a single case checks nothing: it fails rather than "passing" with 0 checks.
        for result in results {
            print(result.checks == 0 ? "FAIL \(result.file): no cases (0 checks)" : result.line)
            if verbose && !result.passed {
                for failure in result.failures { print("    \(failure)") }
            }
        }
        let failed = results.filter { !$0.passed || $0.checks == 0 }.count
        let checks = results.reduce(0) { $0 + $1.checks }
        print("\(results.count - failed) passed, \(failed) failed (\(checks) checks)")
        if failed > 0 { throw ExitCode(1) }
    }
}
