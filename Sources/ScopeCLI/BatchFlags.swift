import ArgumentParser

/// The values of the batching flags that `bench`, `longgenbench run` and `serve` share: how many
/// sequences run at once (`--parallel`) and the KV budget over them (`--kv-budget-mb`).
enum BatchFlags {
    /// The most sequences one batch may hold.
    static let maxParallel = 256

    /// The largest budget, in MiB (16 TiB: far above any machine's memory, and `M · 2^20` bytes
    /// stays far from overflowing `Int`).
    static let maxBudgetMiB = 1 << 24

    /// `--parallel N`, checked to be a count in 1...`maxParallel`.
    static func parallel(_ n: Int) throws -> Int {
        guard (1...maxParallel).contains(n) else {
            throw ValidationError("--parallel must be a sequence count in 1...\(maxParallel), got \(n)")
        }
        return n
    }

    /// `--parallel "1,2,4,8"` (bench): every item a count in 1...`maxParallel`, at least one item.
    static func parallelList(_ text: String) throws -> [Int] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        return try items.map { s in
            guard let v = Int(s.trimmingCharacters(in: .whitespaces)), (1...maxParallel).contains(v) else {
                throw ValidationError("--parallel: '\(s)' is not a sequence count in 1...\(maxParallel) (give counts separated by commas, like 1,2,4,8)")
            }
            return v
        }
    }

    /// `--kv-budget-mb M` in bytes (nil when not given): M a positive number of MiB, at most `maxBudgetMiB`.
    static func budgetBytes(_ mb: Double?) throws -> Int? {
        guard let mb else { return nil }
        guard mb > 0, mb <= Double(maxBudgetMiB) else {   // NaN fails both
            throw ValidationError("--kv-budget-mb must be a positive number of MiB, at most \(maxBudgetMiB), got \(mb)")
        }
        return Swift.max(1, Int(mb * 1_048_576))
    }
}
