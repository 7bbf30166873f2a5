import GGUF
import Model
import ScopeTestSupport
import Tokenizer

/// The default model and its tokenizer, loaded for one suite.
///
/// Each suite keeps its own instance (`static let engine = DefaultEngine.load()`): a suite may switch
/// the model's activation precision (`LlamaModel.activations`) during a test, and suites run in parallel.
enum DefaultEngine {
    /// nil when the default model is absent (the suites' `.enabled(if:)` traits then skip with the reason).
    static func load() -> (LlamaModel, Tokenizer)? {
        guard let path = DefaultModel.path(), let file = try? GGUFFile(path: path),
              let model = try? LlamaModel(file: file), let tokenizer = try? Tokenizer(gguf: file) else { return nil }
        return (model, tokenizer)
    }
}
