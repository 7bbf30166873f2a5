import ArgumentParser

struct LongGenBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "longgenbench", abstract: "Not built yet.")
    func run() throws { throw ValidationError("'longgenbench' is not built yet") }
}
