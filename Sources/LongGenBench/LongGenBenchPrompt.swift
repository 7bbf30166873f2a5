/// How the final prompt text is made from a data-file record.
public enum LongGenBenchTemplate: Sendable {
    /// The paper's `build_chat_llama3_modify`: `"<<SYS>>\n " + system + " \n<</SYS>>\n\n" + prompt`
    /// (the tokenizer adds BOS; no chat header tokens, no assistant turn). methods.md §5.3.
    case paper
    /// A model chat template: given (system prompt, user text) it returns the final prompt text.
    case chat(@Sendable (_ system: String, _ user: String) -> String)

    /// The final prompt text for `record` of `dataset`.
    public func prompt(dataset: LongGenBenchDataset, record: BenchmarkRecord) -> String {
        switch self {
        case .paper: return LongGenBenchTemplate.paperPrompt(system: dataset.paperSystemPrompt, prompt: record.prompt)
        case .chat(let format): return format(dataset.paperSystemPrompt, record.prompt)
        }
    }

    /// `"<<SYS>>\n " + system + " \n<</SYS>>\n\n" + prompt`.
    public static func paperPrompt(system: String, prompt: String) -> String {
        "<<SYS>>\n " + system + " \n<</SYS>>\n\n" + prompt
    }

    /// Short name (`paper` or `chat`), stored with each result.
    public var name: String {
        switch self {
        case .paper: return "paper"
        case .chat: return "chat"
        }
    }
}
