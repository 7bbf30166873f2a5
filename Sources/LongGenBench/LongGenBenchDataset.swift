/// The three LongGenBench datasets, the constants the paper's scripts use for them, and our synthetic
/// `recall` (`RecallTask`) and `repeats` (`RepeatsTask`) tasks.
public enum LongGenBenchDataset: String, CaseIterable, Sendable, Codable {
    case gsm8k, mmlu, csqa, recall, repeats

    /// The paper's three datasets (the columns every score table shows; the synthetic tasks are added when present).
    public static let paperDatasets: [LongGenBenchDataset] = [.gsm8k, .mmlu, .csqa]

    /// Our synthetic tasks: built from a seed, prompted with the chat template, one scorer each.
    public var isSynthetic: Bool { self == .recall || self == .repeats }

    /// Question number of the first test question in a prompt (`Question_9` for GSM8K, `Question_6` for
    /// MMLU and CSQA, i.e. the number of demos + 1; `Item_1` for recall; the first line for repeats).
    public var firstQuestionNumber: Int {
        switch self {
        case .gsm8k: return 9
        case .mmlu, .csqa: return 6
        case .recall, .repeats: return 1
        }
    }

    /// Text the answer of `record` starts with, appended to the final prompt so the model continues it
    /// (`Item_1:` for recall, the first key for repeats, empty for the paper's datasets).
    public func answerPrefix(for record: BenchmarkRecord) -> String {
        switch self {
        case .recall: return RecallTask.answerPrefix
        case .repeats: return RepeatsTask.answerPrefix(answers: record.answers)
        case .gsm8k, .mmlu, .csqa: return ""
        }
    }

    /// System prompt for the chat template: the paper's for its datasets, none (the template's default) for the
    /// synthetic tasks.
    public var chatSystemPrompt: String? { isSynthetic ? nil : paperSystemPrompt }

    /// Default tokens to generate for a file with `k` questions per prompt (for repeats, K·R expected lines).
    public static func defaultMaxNewTokens(dataset: LongGenBenchDataset, k: Int) -> Int {
        switch dataset {
        case .recall: return RecallTask.defaultMaxNewTokens(k: k)
        case .repeats: return RepeatsTask.defaultMaxNewTokens(items: k)
        case .gsm8k, .mmlu, .csqa: return paperMaxNewTokens(k: k)
        }
    }

    /// Column title used in the paper's tables.
    public var tableTitle: String {
        switch self {
        case .gsm8k: return "GSM8K+"
        case .mmlu: return "MMLU+"
        case .csqa: return "CSQA+"
        case .recall: return "Recall"
        case .repeats: return "Repeats"
        }
    }

    /// How many source questions the reference construction scripts read by default
    /// (HF `gsm8k/main` test has 1319; `longgenbench_CSQA.py` uses 1200). MMLU uses the first K per task.
    public var defaultSourceCap: Int? {
        switch self {
        case .gsm8k: return 1319
        case .csqa: return 1200
        case .mmlu, .recall, .repeats: return nil
        }
    }

    /// The paper's system prompt (`run_longgenbench.py` `model2prompt`). For MMLU it ends with "about "
    /// and no subject: the subject is never appended (methods.md §8 Q19). The synthetic tasks have none (empty).
    public var paperSystemPrompt: String {
        if isSynthetic { return "" }
        let base = "Answer each question step by step, adhering to the format shown in the examples provided. Start each response with 'Answer_' and introduce the final response with 'The answer is'. Do not repeat the question. Ensure that you respond to all the questions presented, regardless of their number."
        return self == .mmlu ? base + " The following are multiple choice questions (with answers) about " : base
    }

    /// The paper's `max_new_tokens` for a file with `k` questions per prompt: 4096 when K is 30, else 7950
    /// (CSQA's K is 40/80, so CSQA+ always gets 7950; methods.md §8 Q18).
    public static func paperMaxNewTokens(k: Int) -> Int { k == 30 ? 4096 : 7950 }

    /// MMLU tasks the paper drops at run time "to avoid OOM" (file indices 21, 30, 31, 48).
    public static let paperDroppedMMLUTasks: Set<String> = [
        "high_school_european_history", "high_school_us_history", "high_school_world_history", "professional_law",
    ]
}
