import ArgumentParser
struct LongGenBenchScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "score")
}
