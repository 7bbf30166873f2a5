import ArgumentParser

@main
struct Scope: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scope",
        abstract: "Long-output LLM generation under a bounded KV cache (SCOPE, arXiv 2412.13649).",
        subcommands: [
            InspectCommand.self,
            TokenizeCommand.self,
            LogitsCommand.self,
            GenerateCommand.self,
            ModelsCommand.self,
            LongGenBenchCommand.self,
            ConformanceCommand.self,
            MethodsCommand.self,
            FidelityCommand.self,
            BenchCommand.self,
            AnalyzeCommand.self,
        ] + serveCommands
    )
}


/// `scope serve`, in builds with SCOPE_SERVE=1 (Package.swift).
extension Scope {
    #if SCOPE_SERVE
    static var serveCommands: [ParsableCommand.Type] { [ServeCommand.self] }
    #else
    static var serveCommands: [ParsableCommand.Type] { [] }
    #endif
}
