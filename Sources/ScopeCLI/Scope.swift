import ArgumentParser

@main
struct Scope: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scope",
        abstract: "Long-output LLM generation under a bounded KV cache (SCOPE, arXiv 2412.13649).",
        version: ScopeVersion.current,
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
            ServeCommand.self,
        ]
    )
}

