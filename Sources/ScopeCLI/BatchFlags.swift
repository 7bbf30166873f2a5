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

    /// `--prompt-cache-mb M` in bytes: M a number of MiB in 0...`maxBudgetMiB` (0: no prompt cache).
    static func promptCacheBytes(_ mb: Double) throws -> Int {
        guard mb >= 0, mb <= Double(maxBudgetMiB) else {   // NaN fails both
            throw ValidationError("--prompt-cache-mb must be a number of MiB in 0...\(maxBudgetMiB) (0: off), got \(mb)")
        }
        return Int(mb * 1_048_576)
    }
}

/// `--kv-budget-mb M`, declared once for `bench`, `longgenbench run` and `serve` (same flag, same help,
/// same check): the batch scheduler starts a sequence only while the worst-case KV bytes of the
/// running ones, its own included, fit in M MiB.
struct KVBudgetOption: ParsableArguments {
    @Option(name: .customLong("kv-budget-mb"), parsing: .unconditional,
            help: "KV-cache budget in MiB over the sequences decoded together: one starts only while the worst-case KV bytes of the running ones fit (default: unbounded).")
    var megabytes: Double?

    func validate() throws { _ = try bytes }

    /// Whether the flag was given.
    var isGiven: Bool { megabytes != nil }

    /// The budget in bytes, nil when not given (`BatchFlags.budgetBytes`).
    var bytes: Int? { get throws { try BatchFlags.budgetBytes(megabytes) } }
}
