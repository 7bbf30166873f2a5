import Testing
@testable import LongGenBench

/// The repeats task's records and scorer (format in docs/repeats.md).
@Suite struct RepeatsTaskTests {
    @Test("build is deterministic per seed and pins the exact prompt text")
    func buildIsDeterministicPerSeed() throws {
        let a = try RepeatsTask.build(k: 16, copies: 4, count: 3, seed: 7)
        #expect(a == (try RepeatsTask.build(k: 16, copies: 4, count: 3, seed: 7)))
        #expect(a != (try RepeatsTask.build(k: 16, copies: 4, count: 3, seed: 8)))
        #expect(a.allSatisfy { $0.questions.count == 64 && $0.answers.count == 64 })
        // SplitMix64 from seed 1 (hand-checked against an independent Python SplitMix64 + Fisher–Yates).
        let small = try RepeatsTask.build(k: 3, copies: 2, count: 1, seed: 1)[0]
        #expect(small == BenchmarkRecord(
            prompt: "Here is a list:\n\(Self.seed1[0])\n\(Self.seed1[1])\n\(Self.seed1[2])\nWrite the same list again, exactly, 2 times.",
            questions: ["copy 1: " + Self.key(0), "copy 1: " + Self.key(1), "copy 1: " + Self.key(2),
                        "copy 2: " + Self.key(0), "copy 2: " + Self.key(1), "copy 2: " + Self.key(2)],
            answers: Self.seed1 + Self.seed1))
    }

    /// The three lines of `build(k: 3, copies: 2, count: 1, seed: 1)`.
    static let seed1 = ["jay: pink", "owl: black", "fox: green"]
    static func key(_ i: Int) -> String { String(seed1[i].prefix { $0 != ":" }) }

    @Test("every record has K distinct keys from the pool, each with one of the six values, repeated R times")
    func recordsAreWellFormed() throws {
        for r in try RepeatsTask.build(k: 24, copies: 3, count: 4, seed: 3) {
            let first = Array(r.answers.prefix(24))
            #expect(r.answers == first + first + first)
            let parsed = first.map(RepeatsTask.parse)
            #expect(Set(parsed.map { $0.key }).count == 24)
            #expect(parsed.allSatisfy { RepeatsTask.keys.contains($0.key) && RepeatsTask.values.contains($0.value) })
            #expect(r.prompt == "Here is a list:\n" + first.joined(separator: "\n") + "\nWrite the same list again, exactly, 3 times.")
            #expect(RepeatsTask.answerPrefix(answers: r.answers) == parsed[0].key + ":")
        }
    }

    @Test("K outside the key pool, copies or count below 1 is an error naming the flag")
    func buildRejectsBadArguments() {
        #expect(throws: LongGenBenchError("repeats: --k must be between 1 and 24 (the key pool; got 0)")) {
            try RepeatsTask.build(k: 0, copies: 1, count: 1, seed: 1)
        }
        #expect(throws: LongGenBenchError("repeats: --k must be between 1 and 24 (the key pool; got 25)")) {
            try RepeatsTask.build(k: 25, copies: 1, count: 1, seed: 1)
        }
        #expect(throws: LongGenBenchError("repeats: --copies must be at least 1 (got 0)")) {
            try RepeatsTask.build(k: 3, copies: 0, count: 1, seed: 1)
        }
        #expect(throws: LongGenBenchError("repeats: --count must be at least 1 (got 0)")) {
            try RepeatsTask.build(k: 3, copies: 1, count: 0, seed: 1)
        }
    }

    @Test("the r-th line with a key is judged against copy r: wrong, missing, reordered, extra and bulleted lines")
    func scorerJudgesEachCopyByOccurrence() {
        let one = ["fox: red", "owl: blue", "cat: green"]
        let answers = one + one                  // K = 3, R = 2; the prompt ends with "fox:".
        // Copy 1: fox right (continues the prefix), owl wrong, cat right. A separator line, then copy 2 in another
        // order with a bullet: cat right, fox right, owl missing; an unknown key and a third fox are ignored.
        let pred = " Red\nowl: pink\ncat: green\n\nHere is the list again:\n* cat: GREEN\nfox: red\ndog: blue\nfox: blue"
        let s = RepeatsTask.score(pred: pred, answers: answers)
        #expect(s.expected == ["red", "blue", "green", "red", "blue", "green"])
        #expect(s.predicted == ["red", "pink", "green", "red", nil, "green"])
        #expect(s.correct == [true, false, true, true, false, true])
        #expect(s.correctCount == 4)
        // Nothing generated: only the prefix's key, with no value.
        #expect(RepeatsTask.score(pred: "", answers: answers).correctCount == 0)
        // A value written under another key does not count for this key.
        #expect(RepeatsTask.score(pred: " blue\nowl: red", answers: ["fox: red", "owl: blue"]).correctCount == 0)
    }

    @Test("the LongGenBench scorer uses the repeats scorer for every scorer kind")
    func longGenBenchScorerDelegates() {
        for kind in ScorerKind.allCases {
            let s = LongGenBenchScorer.score(dataset: .repeats, pred: " red\nowl: pink", answers: ["fox: red", "owl: blue"], scorer: kind)
            #expect(s.correct == [true, false])
        }
    }
}
