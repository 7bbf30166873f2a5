/// Receives attention probabilities as the model computes them, for analyses (heavy hitters,
/// attention maps). Compression policies do not use this: they get their scores through the
/// KV cache's hooks.
///
/// Calls come from worker threads, possibly concurrently for different heads or query rows of the
/// same layer; an implementation must only write to storage that is distinct per (head, query).
public protocol AttentionObserver: AnyObject, Sendable {
    /// Whether to report `layer`'s attention for the query at `position`.
    func observes(layer: Int, queryPosition: Int32) -> Bool
    /// One query head's softmax probabilities over the stored rows (physical row order) and the
    /// absolute positions of those rows; masked rows have probability 0.
    func observe(layer: Int, head: Int, queryPosition: Int32,
                 probabilities: UnsafeBufferPointer<Float>, keyPositions: UnsafeBufferPointer<Int32>)
}
