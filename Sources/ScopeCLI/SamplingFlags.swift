import ArgumentParser
import Generation

/// The sampling group, on every command that generates: `--temperature`, `--top-p`, `--top-k`, `--seed`.
struct SamplingFlags: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: "Sampling temperature (0 = greedy).")
    var temperature: Float = 0
    @Option(name: .customLong("top-p"), parsing: .unconditional, help: "Nucleus sampling threshold in (0, 1].")
    var topP: Float = 1
    @Option(name: .customLong("top-k"), parsing: .unconditional, help: "Keep the k most likely tokens (0 = all).")
    var topK: Int = 0
    @Option(name: .long, parsing: .unconditional, help: "Random seed for sampling.")
    var seed: UInt64 = 42

    var options: SamplingOptions { SamplingOptions(temperature: temperature, topK: topK, topP: topP, seed: seed) }

    func validate() throws {
        do { try options.validate() } catch let error as GenerationError { throw ValidationError(error.description) }
    }
}
