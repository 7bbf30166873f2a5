import ArgumentParser

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "analyze", abstract: "Not built yet.")
    func run() throws { throw ValidationError("'analyze' is not built yet") }
}
