import Foundation
import Generation
import ScopeTestSupport
import Testing

/// `TokenLogprobs` against closed forms: log Σ exp summed naively in extended precision over
/// moderate logits, and the k largest from a full sort.
struct TokenLogprobsTests {
    @Test func logSumExpAndLargestAgreeWithTheirClosedForms() {
        var rng = SeededRandom(seed: 31)
        for trial in 0..<300 {
            let n = 1 + Int(rng.next() % 300)
            // Few distinct values so that ties occur.
            var logits = (0..<n).map { _ in Float(Int(rng.next() % 41) - 20) / 4 }
            if trial % 10 == 0 { logits[Int(rng.next() % UInt64(n))] = .nan }
            logits.withUnsafeBufferPointer { l in
                let finite = logits.filter { !$0.isNaN }
                let naive = finite.isEmpty ? -Double.infinity : log(finite.reduce(0.0) { $0 + exp(Double($1)) })
                if naive.isFinite {
                    #expect(abs(TokenLogprobs.logSumExp(l) - naive) <= 1e-12 * max(1, abs(naive)), "trial \(trial)")
                } else {
                    #expect(TokenLogprobs.logSumExp(l) == naive, "trial \(trial): only NaN logits")
                }
                let k = Int(rng.next() % 8)
                let sorted = logits.indices.filter { !logits[$0].isNaN }
                    .sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
                #expect(TokenLogprobs.largest(l, k) == sorted.prefix(k).map { Int32($0) }, "trial \(trial)")

                let chosen = Int32(sorted.first ?? 0)
                let t = TokenLogprobs(logits: l, chosen: chosen, top: k)
                #expect(t.chosen.id == chosen)
                if naive.isFinite, !logits[Int(chosen)].isNaN {
                    #expect(abs(t.chosen.logprob - (Double(logits[Int(chosen)]) - naive)) <= 1e-12 * max(1, abs(naive)))
                }
                #expect(t.top.map(\.id) == TokenLogprobs.largest(l, k))
            }
        }
    }

    @Test func aRowWithoutFiniteLogitsHasNoMass() {
        let l: [Float] = [-.infinity, .nan, -.infinity]
        l.withUnsafeBufferPointer { #expect(TokenLogprobs.logSumExp($0) == -.infinity) }
        let single: [Float] = [3]
        single.withUnsafeBufferPointer { #expect(TokenLogprobs(logits: $0, chosen: 0, top: 1).chosen.logprob == 0) }
    }
}
