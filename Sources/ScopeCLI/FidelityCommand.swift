import ArgumentParser

struct FidelityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fidelity", abstract: "Not built yet.")
    func run() throws { throw ValidationError("'fidelity' is not built yet") }
}
