import ArgumentParser
import Generation

/// The sampling group, on every command that generates: `--temperature`, `--top-p`, `--top-k`, `--min-p`, `--seed`
/// and the penalties (`TokenDraw` applies them wherever tokens are drawn).
struct SamplingFlags: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: "Sampling temperature (0 = greedy).")
    var temperature: Float = 0
    @Option(name: .customLong("top-p"), parsing: .unconditional, help: "Nucleus sampling threshold in (0, 1].")
    var topP: Float = 1
    @Option(name: .customLong("top-k"), parsing: .unconditional, help: "Keep the k most likely tokens (0 = all).")
    var topK: Int = 0
    @Option(name: .customLong("min-p"), parsing: .unconditional,
            help: "Keep the tokens at least this likely relative to the most likely one, after top-k and top-p (0 = off; vLLM's).")
    var minP: Float = 0
    @Option(name: .long, parsing: .unconditional, help: "Random seed for sampling.")
    var seed: UInt64 = 42
    @Option(name: .customLong("repetition-penalty"), parsing: .unconditional,
            help: "Divide positive (multiply negative) logits of prompt and generated tokens by this (1 = none; vLLM's).")
    var repetitionPenalty: Float = 1
    @Option(name: .customLong("frequency-penalty"), parsing: .unconditional,
            help: "Subtract this per earlier occurrence of a generated token (-2…2; OpenAI's).")
    var frequencyPenalty: Float = 0
    @Option(name: .customLong("presence-penalty"), parsing: .unconditional,
            help: "Subtract this from every token generated before (-2…2; OpenAI's).")
    var presencePenalty: Float = 0

    var options: SamplingOptions {
        var o = SamplingOptions(temperature: temperature, topK: topK, topP: topP, seed: seed)
        o.minP = minP
        o.repetitionPenalty = repetitionPenalty
        o.frequencyPenalty = frequencyPenalty
        o.presencePenalty = presencePenalty
        return o
    }

    func validate() throws {
        do { try options.validate() } catch let error as GenerationError { throw ValidationError(error.description) }
    }
}
