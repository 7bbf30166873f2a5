import ArgumentParser

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "Not built yet.")
    func run() throws { throw ValidationError("'models' is not built yet") }
}
