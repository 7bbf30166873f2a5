/// Which LongGenBench scorer to use.
public enum ScorerKind: String, CaseIterable, Sendable {
    /// `eval_longgenbench.py` exactly: predictions matched to answers by order, the paper's regexes.
    case paper
    /// The paper's regexes, but each expected answer is compared with the first prediction carrying its
    /// question number (`Answer_N`), so skipped or repeated answers do not shift later ones.
    case byIndex = "by-index"
    /// By index, answers searched within each `Answer_N` block (never swallowing the next block): GSM8K numbers
    /// with commas, signs, decimals and `$` compared numerically; choice letters across lines, case-normalised.
    case corrected
}
