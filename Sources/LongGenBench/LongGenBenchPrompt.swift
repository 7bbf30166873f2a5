/// How the final prompt text is made from a data-file record. Every template ends with the dataset's
/// `answerPrefix(for:)` (empty for the paper's datasets, `Item_1:` for recall, the first key for repeats).
public enum LongGenBenchTemplate: Sendable {
    /// The paper's `build_chat_llama3_modify`: `"<<SYS>>\n " + system + " \n<</SYS>>\n\n" + prompt`
    /// (the tokenizer adds BOS; no chat header tokens, no assistant turn). methods.md §5.3.
    case paper
    /// A model chat template: given (system prompt or nil for the template's default, user text) it returns
    /// the final prompt text up to the assistant turn.
    case chat(@Sendable (_ system: String?, _ user: String) -> String)
    /// The record's prompt as it is (a newline before a non-empty answer prefix).
    case plain

    /// The final prompt text for `record` of `dataset`.
    public func prompt(dataset: LongGenBenchDataset, record: BenchmarkRecord) -> String {
        let prefix = dataset.answerPrefix(for: record)
        switch self {
        case .paper: return LongGenBenchTemplate.paperPrompt(system: dataset.paperSystemPrompt, prompt: record.prompt) + prefix
        case .chat(let format): return format(dataset.chatSystemPrompt, record.prompt) + prefix
        case .plain: return record.prompt + (prefix.isEmpty ? "" : "\n" + prefix)
        }
    }

    /// `"<<SYS>>\n " + system + " \n<</SYS>>\n\n" + prompt`.
    public static func paperPrompt(system: String, prompt: String) -> String {
        "<<SYS>>\n " + system + " \n<</SYS>>\n\n" + prompt
    }

    /// Short name (`paper`, `chat` or `plain`), stored with each result.
    public var name: String {
        switch self {
        case .paper: return "paper"
        case .chat: return "chat"
        case .plain: return "plain"
        }
    }
}
