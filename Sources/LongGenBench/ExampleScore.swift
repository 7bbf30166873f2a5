/// The score of one example (one long output answering K questions).
public struct ExampleScore: Sendable, Equatable {
    /// Expected answers as the scorer sees them (nil: the GSM8K ground truth did not parse).
    public var expected: [String?]
    /// For `paper`: the predictions found, in order. For `by-index`/`corrected`: the prediction for each
    /// expected answer's question number (nil when missing).
    public var predicted: [String?]
    /// Whether expected answer i was judged correct.
    public var correct: [Bool]

    /// Number of correct answers.
    public var correctCount: Int { correct.filter { $0 }.count }
    /// `correct / len(expected)`, 0 when there are no expected answers (as the paper).
    public var accuracy: Double { expected.isEmpty ? 0 : Double(correctCount) / Double(expected.count) }
}
