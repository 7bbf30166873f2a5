import Foundation
import Synchronization

/// A choice between two code paths that compute the same results and differ only in speed (a
/// prefetch, the shape of parallel tasks), which can be flipped while the program runs.
///
/// On a shared machine two processes run one after the other meet different neighbours, and their
/// difference drowns small effects. `scope bench --parallel N --interleave NAME` flips one switch
/// every decoding step of one process instead and compares the median step time of each side, so
/// both sides meet the same noise. Flipping a switch never changes a result (tested for each).
/// Each starts on unless its environment variable is `0`.
public final class TimingSwitch: Sendable {
    /// Name used by `--interleave`.
    public let name: String
    /// What the switch turns on.
    public let summary: String
    /// Environment variable that turns it off for a whole run (`NAME=0`).
    public let environmentVariable: String
    private let state: Atomic<Bool>

    init(_ name: String, _ summary: String, environment: String) {
        self.name = name
        self.summary = summary
        environmentVariable = environment
        state = Atomic(ProcessInfo.processInfo.environment[environment] != "0")
    }

    /// Whether the switch is on. Code running in a pool job sees the value set before the job began.
    @inline(__always) public var isOn: Bool { state.load(ordering: .relaxed) }

    public func set(_ on: Bool) { state.store(on, ordering: .relaxed) }

    /// Decode attention asks for the next key/value block's lines while it works on one.
    public static let attentionPrefetch = TimingSwitch(
        "attention-prefetch", "decode attention prefetches the next key/value block while it works on one",
        environment: "SCOPE_PREFETCH_KV")
    /// A decoding step asks for the lines each cache's next append writes before the layer's products.
    public static let appendPrefetch = TimingSwitch(
        "append-prefetch", "a decoding step prefetches (for writing) the cache lines the layer's appends store into",
        environment: "SCOPE_PREFETCH_APPEND")
    /// Batched flash decoding gives a task a whole (sequence, KV head) rather than one key chunk.
    public static let wholeHeadTasks = TimingSwitch(
        "whole-head-tasks", "batched flash decoding runs one task per (sequence, KV head), not per key chunk",
        environment: "SCOPE_WHOLE_HEAD_TASKS")

    /// Streaming attention widens each stored key and value vector (float32, f16) or block (q8_0,
    /// q4_0) once for three query rows that read it, rather than once per row.
    public static let groupedAttention = TimingSwitch(
        "grouped-attention", "streaming attention widens each stored key/value vector once for three query rows",
        environment: "SCOPE_GROUPED_ATTENTION")

    /// The AVX2 packed products (8-bit activations) prefetch the weight lines `PackedMatrix.prefetchBytes`
    /// ahead of the block they read, on their first pass over a group of rows.
    public static let packedPrefetch = TimingSwitch(
        "packed-prefetch", "the AVX2 packed products prefetch the weights ahead of the block they read",
        environment: "SCOPE_PREFETCH_PACKED")

    public static let all = [attentionPrefetch, appendPrefetch, wholeHeadTasks, groupedAttention, packedPrefetch]

    /// The switch called `name`, or nil.
    public static func named(_ name: String) -> TimingSwitch? { all.first { $0.name == name } }
}
