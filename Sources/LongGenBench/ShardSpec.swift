/// A deterministic 1/N slice of a run: example j of the selection belongs to shard `j % count`.
public struct ShardSpec: Sendable, Equatable {
    /// 0-based shard index (Slurm `$SLURM_ARRAY_TASK_ID` from 0, Kubernetes `$JOB_COMPLETION_INDEX`).
    public var index: Int
    public var count: Int

    public static let whole = ShardSpec(index: 0, count: 1)

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `I/N` with 0 ≤ I < N.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else {
            throw LongGenBenchError("--shard '\(text)': expected I/N with 0 ≤ I < N (e.g. 0/4)")
        }
        self.init(index: i, count: n)
    }

    /// The elements of `selection` this shard runs (round-robin, so long and short examples spread evenly).
    public func slice<T>(_ selection: [T]) -> [T] {
        selection.enumerated().filter { $0.offset % count == index }.map(\.element)
    }

    /// File-name suffix: empty for a whole run, else `.shard-I-of-N`.
    public var fileSuffix: String { count == 1 ? "" : ".shard-\(index)-of-\(count)" }
}
