import ArgumentParser
struct LongGenBenchRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run")
}
