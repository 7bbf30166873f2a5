import Foundation

/// Scores LongGenBench outputs: the paper's scorer, by question index, or corrected (methods.md §5.5).
public enum LongGenBenchScorer {
    /// Scores one example's generated text `pred` against its `answers`. The synthetic tasks have one scorer
    /// each (`RecallTask.score`, `RepeatsTask.score`) whatever `scorer` says.
    public static func score(dataset: LongGenBenchDataset, pred: String, answers: [String], scorer: ScorerKind) -> ExampleScore {
        if dataset == .recall { return RecallTask.score(pred: pred, answers: answers) }
        if dataset == .repeats { return RepeatsTask.score(pred: pred, answers: answers) }
        let first = dataset.firstQuestionNumber
        switch scorer {
        case .paper, .byIndex:
            let expected: [String?] = dataset == .gsm8k
                ? answers.map { AnswerPatterns.gsm8kTruth.firstMatch(in: $0)?[0] ?? nil }
                : answers
            let pattern = dataset == .gsm8k ? AnswerPatterns.gsm8kPred : AnswerPatterns.choicePred
            let matches = pattern.matches(in: pred)
            if scorer == .paper {
                let predicted = matches.map { $0[1] }
                let correct = expected.indices.map { i in
                    i < predicted.count && sameText(expected[i], predicted[i])
                }
                return ExampleScore(expected: expected, predicted: predicted, correct: correct)
            }
            var byNumber: [Int: String] = [:]
            for m in matches {
                if let n = m[0].flatMap(asciiInt), byNumber[n] == nil, let p = m[1] { byNumber[n] = p }
            }
            let predicted = expected.indices.map { byNumber[first + $0] }
            let correct = expected.indices.map { sameText(expected[$0], predicted[$0]) }
            return ExampleScore(expected: expected, predicted: predicted, correct: correct)
        case .corrected:
            return corrected(dataset: dataset, pred: pred, answers: answers)
        }
    }

    static func corrected(dataset: LongGenBenchDataset, pred: String, answers: [String]) -> ExampleScore {
        let first = dataset.firstQuestionNumber
        let expected: [String?] = dataset == .gsm8k
            ? answers.map { a in AnswerPatterns.gsm8kTruthNumber.firstMatch(in: a)?[0].flatMap(AnswerPatterns.normaliseNumber) }
            : answers.map { a in
                let t = PythonText.strip(a).uppercased()
                return t.isEmpty ? nil : t
            }
        // Blocks: text after each `Answer_N:` header up to the next header; the last "answer is" of a block counts.
        let ns = pred as NSString
        let headers = AnswerPatterns.blockHeader.matchRanges(in: pred)
        var byNumber: [Int: String] = [:]
        for (h, header) in headers.enumerated() {
            guard let n = header.groups[0].flatMap(asciiInt), byNumber[n] == nil else { continue }
            let start = header.range.location + header.range.length
            let end = h + 1 < headers.count ? headers[h + 1].range.location : ns.length
            let block = ns.substring(with: NSRange(location: start, length: end - start))
            if dataset == .gsm8k {
                if let m = AnswerPatterns.gsm8kBlockAnswer.matches(in: block).last, let number = m[1] {
                    let signed = (m[0] == "-" && !number.hasPrefix("-")) ? "-" + number : number
                    if let v = AnswerPatterns.normaliseNumber(signed) { byNumber[n] = v }
                }
            } else if let m = AnswerPatterns.choiceParenAnswer.matches(in: block).last
                        ?? AnswerPatterns.choiceBareAnswer.matches(in: block).last, let letter = m[0] {
                byNumber[n] = letter.uppercased()
            }
        }
        let predicted = expected.indices.map { byNumber[first + $0] }
        let correct = expected.indices.map { sameText(expected[$0], predicted[$0]) }
        return ExampleScore(expected: expected, predicted: predicted, correct: correct)
    }

    /// Python `str ==` (code points, no Unicode normalisation); nil never equals anything... except that the
    /// paper compares `None == str`, which is False, and `None == None` cannot occur (predictions are strings).
    static func sameText(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return false }
        return a.unicodeScalars.elementsEqual(b.unicodeScalars)
    }

    static func asciiInt(_ s: String) -> Int? {
        guard !s.isEmpty, s.unicodeScalars.allSatisfy({ $0.value >= 48 && $0.value <= 57 }) else { return nil }
        return Int(s.prefix(12))
    }

    /// `round(100 * np.mean(accuracies), 4)`, with numpy's pairwise summation; nil for no examples (numpy: nan).
    public static func datasetScore(_ accuracies: [Double]) -> Double? {
        guard !accuracies.isEmpty else { return nil }
        return pythonRound(100 * NumpyMath.mean(accuracies), digits: 4)
    }

    /// Python's `round(x, n)`: the correctly rounded (half-even on the exact binary value) n-digit decimal.
    public static func pythonRound(_ x: Double, digits: Int) -> Double {
        guard x.isFinite else { return x }
        return Double(String(format: "%.\(digits)f", x)) ?? x
    }
}
