import ArgumentParser

struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logits", abstract: "Not built yet.")
    func run() throws { throw ValidationError("'logits' is not built yet") }
}
