import Testing
@testable import LongGenBench

/// The recall task's records and scorer (format in docs/recall.md).
@Suite struct RecallTaskTests {
    @Test("build is deterministic per seed and pins the exact prompt text")
    func buildIsDeterministicPerSeed() throws {
        let a = try RecallTask.build(k: 30, count: 3, seed: 7)
        #expect(a == (try RecallTask.build(k: 30, count: 3, seed: 7)))
        #expect(a != (try RecallTask.build(k: 30, count: 3, seed: 8)))
        #expect(a.allSatisfy { $0.questions.count == 30 && $0.answers.count == 30 })
        #expect(a.allSatisfy { $0.answers.allSatisfy(RecallTask.values.contains) })
        // SplitMix64 from seed 1: the same file on every platform.
        let small = try RecallTask.build(k: 3, count: 2, seed: 1)
        #expect(small[0] == BenchmarkRecord(
            prompt: "Here is a list:\nItem_1: pink\nItem_2: blue\nItem_3: red\nWrite the same list again, exactly.",
            questions: ["Item_1:", "Item_2:", "Item_3:"], answers: ["pink", "blue", "red"]))
        #expect(small[1].answers == ["pink", "black", "green"])
    }

    @Test("every fact in the prompt is the question followed by its answer, in order")
    func promptListsEveryFact() throws {
        for r in try RecallTask.build(k: 30, count: 2, seed: 3) {
            let lines = zip(r.questions, r.answers).map { "\($0) \($1)" }
            #expect(r.prompt == "Here is a list:\n" + lines.joined(separator: "\n") + "\nWrite the same list again, exactly.")
        }
    }

    @Test("K or count below 1 is an error naming the flag")
    func buildRejectsBadArguments() {
        #expect(throws: LongGenBenchError("recall: --k must be at least 1 (got 0)")) { try RecallTask.build(k: 0, count: 1, seed: 1) }
        #expect(throws: LongGenBenchError("recall: --count must be at least 1 (got 0)")) { try RecallTask.build(k: 3, count: 0, seed: 1) }
    }

    @Test("a file past ten million fact lines is refused before anything is built, naming the flags")
    func buildRejectsHugeFiles() {
        #expect(throws: LongGenBenchError("recall: --k × --count = 10000001 fact lines, more than the limit of 10000000; lower --k, --count")) {
            try RecallTask.build(k: 10_000_001, count: 1, seed: 1)
        }
        #expect(throws: LongGenBenchError("repeats: --k × --copies × --count = more than \(Int.max) fact lines, more than the limit of 10000000; lower --k, --copies, --count")) {
            try RepeatsTask.build(k: 4, copies: Int.max, count: 8, seed: 1)
        }
        #expect(throws: Never.self) { try RecallTask.build(k: 1_000, count: 2, seed: 1) }
    }

    @Test("an item counts only when its own first label gives its value: wrong, missing, repeated and extra items")
    func scorerJudgesEachItemByItsLabel() {
        let answers = ["red", "blue", "green", "pink", "black", "white"]
        // Item 1 continues the prompt's "Item_1:"; item 2 is wrong; item 3 comes after item 4; item 4 is repeated
        // (the first wins); item 5 has no colon; item 6 is missing; item 31 is beyond K.
        let pred = " Red\nItem_2: green\nItem_4: pink\nItem_3: green\nItem_4: black\nItem_5 black\nItem_31: white"
        let s = RecallTask.score(pred: pred, answers: answers)
        #expect(s.predicted == ["red", "green", "green", "pink", nil, nil])
        #expect(s.correct == [true, false, true, true, false, false])
        #expect(s.accuracy == 0.5)
        #expect(RecallTask.score(pred: "", answers: answers).correctCount == 0)
        // Writing the value under another item's label does not count for this item.
        #expect(RecallTask.score(pred: " blue\nItem_2: red", answers: ["red", "blue"]).correctCount == 0)
    }

    @Test("the LongGenBench scorer uses the recall scorer for every scorer kind")
    func longGenBenchScorerDelegates() {
        for kind in ScorerKind.allCases {
            let s = LongGenBenchScorer.score(dataset: .recall, pred: " red\nItem_2: pink", answers: ["red", "blue"], scorer: kind)
            #expect(s.correct == [true, false])
        }
    }
}
