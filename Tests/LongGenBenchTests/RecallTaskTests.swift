import Testing
@testable import LongGenBench

@Suite struct RecallTaskTests {
    @Test func buildIsDeterministicPerSeed() throws {
        let a = try RecallTask.build(k: 30, count: 3, seed: 7)
        let b = try RecallTask.build(k: 30, count: 3, seed: 7)
        let c = try RecallTask.build(k: 30, count: 3, seed: 8)
        #expect(a == b)
        #expect(a != c)
        #expect(a.allSatisfy { $0.questions.count == 30 && $0.answers.count == 30 })
        #expect(a[0].prompt.hasSuffix(a[0].questions[0]))
    }

    @Test func buildRejectsBadK() {
        #expect(throws: LongGenBenchError.self) { try RecallTask.build(k: 0, count: 1, seed: 1) }
    }

    @Test func scorerHandlesMissingExtraAndRepeatedItems() {
        let answers = ["red", "blue", "green", "pink"]
        // Item 1 continues the prompt; item 3 is missing; item 2 is repeated (first wins); item 9 is extra.
        let pred = " red\nItem_2: the cup is blue\nItem_2: the cup is pink\nItem_4: the hat is white\nItem_9: the box is red"
        let s = RecallTask.score(pred: pred, questions: [], answers: answers)
        #expect(s.predicted == ["red", "blue", nil, "white"])
        #expect(s.correct == [true, true, false, false])
        #expect(s.accuracy == 0.5)
        #expect(RecallTask.score(pred: "", questions: [], answers: answers).correctCount == 0)
    }
}
