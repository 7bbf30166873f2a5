import ArgumentParser

struct ConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "conformance", abstract: "Not built yet.")
    func run() throws { throw ValidationError("'conformance' is not built yet") }
}
