import LongGenBench

/// What `longgenbench run` asks the engine for.
struct LongGenBenchEngineRequest: Sendable {
    var modelPath: String
    var dataset: LongGenBenchDataset
    var template: LongGenBenchTemplateChoice
    /// Prefill and decoding method names as given on the command line (e.g. `H2O`, `slide`).
    var prefill: String
    var decoding: String
    var maxNewTokens: Int
}

/// A generator plus, when the model has one, its chat template as (system, user) → prompt text.
struct LongGenBenchEngine {
    var generator: any LongGenBenchGenerator
    var chatFormatter: (@Sendable (String, String) -> String)?
}

/// Builds the engine-backed generator for `longgenbench run` (model, tokenizer, KV compression, greedy decoding
/// with BOS added to the prompt, output decoded without special tokens).
///
/// NOT WIRED YET: the engine integration is the lead's part; until then `run` stops here with this error.
func makeLongGenBenchGenerator(_ request: LongGenBenchEngineRequest) throws -> LongGenBenchEngine {
    throw LongGenBenchError("longgenbench run: engine not wired yet (makeLongGenBenchGenerator in Sources/ScopeCLI/LongGenBenchEngine.swift)")
}
