import Foundation

/// Produces answers for many LongGenBench prompts at once (several examples in flight), reporting
/// each as soon as it is finished, in any order.
public protocol ConcurrentLongGenBenchGenerator {
    /// Throws when this prompt could not run (as `LongGenBenchGenerator.check`).
    func check(prompt: String, maxNewTokens: Int) throws

    /// Greedy-generates at most `maxNewTokens` tokens after every prompt; calls `onAnswer(index,
    /// answer, seconds)` once per prompt, on the calling thread, as each finishes. An error thrown by
    /// `onAnswer` or by a generation stops the run (answers already reported stay reported).
    func generate(_ prompts: [(index: Int, prompt: String)], maxNewTokens: Int,
                  onAnswer: (Int, GeneratedAnswer, Double) throws -> Void) throws
}

extension LongGenBenchRunner {
    /// `run` with several examples in flight: the same files, checks and one fsynced line per finished
    /// example (in the order they finish), resume and shards as in `run`.
    public func run(outDir: String, concurrent generator: any ConcurrentLongGenBenchGenerator,
                    progress: ((Int) -> ProgressReporter)? = nil) throws -> Summary {
        let (store, mine, todo) = try prepare(outDir: outDir, check: generator.check)
        let reporter = progress?(todo.count)
            ?? ProgressReporter(total: todo.count, label: "\(data.dataset.rawValue) \(options.label)\(options.shard.fileSuffix)")
        let prompts = todo.map { (index: $0, prompt: options.template.prompt(dataset: data.dataset, record: data.records[$0])) }
        let promptOf = Dictionary(uniqueKeysWithValues: prompts.map { ($0.index, $0.prompt) })
        try generator.generate(prompts, maxNewTokens: options.maxNewTokens) { index, answer, seconds in
            guard let prompt = promptOf[index], !store.finished.contains(index) else {
                throw LongGenBenchError("the generator answered example \(index), which was not asked for or is already stored")
            }
            try store.append(index: index, jsonLine: resultLine(index: index, record: data.records[index], prompt: prompt,
                                                               answer: answer, seconds: seconds))
            reporter.step(seconds: seconds, detail: "example \(index): \(answer.generatedTokens) tokens")
        }
        return Summary(resultsPath: store.path, assigned: mine.count, skipped: mine.count - todo.count, ran: todo.count,
                       droppedTornBytes: store.droppedTornBytes)
    }
}
