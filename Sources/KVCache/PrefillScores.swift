/// What attention statistics a layer's prefill method needs from the model.
public enum PrefillScoreKind: Sendable, Equatable {
    /// Nothing: the layer is not compressed (FullKV, prompt shorter than `P`) or needs no scores (StreamingLLM).
    case none
    /// SnapKV/PyramidKV: probabilities of the last `window` queries over all `n` keys, causal
    /// (query `n−w+i` sees keys `0...n−w+i`), as the attention computed them.
    case windowProbabilities
    /// Corrected H2O/PyramidInfer: per key, the sum over all `n` queries of the causal attention probabilities.
    case causalColumnSums
    /// Reference H2O/PyramidInfer (Q1): column sums where only the last `window × window` block is
    /// masked, so early queries see future keys. Compute with `ScoreKernels.nonCausalColumnSums`.
    case nonCausalColumnSums
}

/// The request for one layer's prefill statistics (`KVCache.prefillRequest(layer:)`).
public struct PrefillScoreRequest: Sendable, Equatable {
    public var kind: PrefillScoreKind
    /// `w`: rows of `windowProbabilities`, and the masked block of `nonCausalColumnSums`.
    public var window: Int
    /// `n`: prompt rows currently stored in the layer.
    public var promptLength: Int

    public init(kind: PrefillScoreKind, window: Int, promptLength: Int) {
        self.kind = kind
        self.window = window
        self.promptLength = promptLength
    }
}

/// Per-query-head attention statistics of one layer's prompt, filled by the model.
///
/// Layouts (row-major, float32): `windowProbabilities` is `[queryHeads][window][n]`,
/// `columnSums` is `[queryHeads][n]`. Only the array the request's kind names is used.
public struct PrefillScores: Sendable {
    public let queryHeads: Int
    public let window: Int
    public let promptLength: Int
    public var windowProbabilities: [Float]
    public var columnSums: [Float]

    /// Zero-filled arrays sized for `request` (an empty value for `.none`).
    public init(request: PrefillScoreRequest, queryHeads: Int) {
        self.queryHeads = queryHeads
        self.window = request.window
        self.promptLength = request.promptLength
        let n = request.promptLength
        switch request.kind {
        case .windowProbabilities:
            windowProbabilities = Array(repeating: 0, count: queryHeads * request.window * n)
            columnSums = []
        case .causalColumnSums, .nonCausalColumnSums:
            windowProbabilities = []
            columnSums = Array(repeating: 0, count: queryHeads * n)
        case .none:
            windowProbabilities = []
            columnSums = []
        }
    }

    /// Offset of query head `h`, window row `i` in `windowProbabilities`.
    @inline(__always) public func windowRowOffset(head h: Int, row i: Int) -> Int { (h * window + i) * promptLength }

    /// Offset of query head `h` in `columnSums`.
    @inline(__always) public func columnSumOffset(head h: Int) -> Int { h * promptLength }

    /// Calls `body` with writable views of both arrays; the views are valid inside `body` only.
    public mutating func withRows<R>(_ body: (PrefillScoreRows) throws -> R) rethrows -> R {
        let window = self.window, n = promptLength
        return try windowProbabilities.withUnsafeMutableBufferPointer { windowRows in
            try columnSums.withUnsafeMutableBufferPointer { sums in
                try body(PrefillScoreRows(window: window, promptLength: n, windowProbabilities: windowRows, columnSums: sums))
            }
        }
    }
}

/// Writable views of a `PrefillScores`' arrays, lent by `PrefillScores.withRows` for its closure's
/// duration (the model's attention fills them from several threads, each writing distinct rows).
public struct PrefillScoreRows {
    public let window: Int
    public let promptLength: Int
    public let windowProbabilities: UnsafeMutableBufferPointer<Float>
    public let columnSums: UnsafeMutableBufferPointer<Float>

    /// Query head `h`'s row `i` of the window probabilities (`promptLength` floats).
    @inline(__always) public func windowRow(head h: Int, row i: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: windowProbabilities[((h * window + i) * promptLength)...].prefix(promptLength))
    }

    /// Query head `h`'s column sums (`promptLength` floats).
    @inline(__always) public func columnSums(head h: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: columnSums[(h * promptLength)...].prefix(promptLength))
    }
}
