import Foundation
import Testing
@testable import Generation

/// The sampler against its distribution computed directly: every token sorted (descending logit,
/// lower id first), cut to top-k, weights e^((l − max)/T) in float64, the top-p prefix, of it the
/// tokens of weight ≥ min-p, and the
/// draw as the inverse of the cumulative distribution in that order.
struct SamplerTests {
    /// The kept tokens in draw order and their cumulative probabilities (the last is 1).
    static func reference(_ logits: [Float], _ o: SamplingOptions) -> (ids: [Int32], cumulative: [Double]) {
        var ids = logits.indices.filter { !logits[$0].isNaN }.map { Int32($0) }
        ids.sort { logits[Int($0)] != logits[Int($1)] ? logits[Int($0)] > logits[Int($1)] : $0 < $1 }
        if o.topK > 0 { ids = Array(ids.prefix(o.topK)) }
        let m = Double(logits[Int(ids[0])])
        let w = ids.map { exp((Double(logits[Int($0)]) - m) / Double(o.temperature)) }
        let total = w.reduce(0, +)
        var kept = ids.count, running = 0.0
        if o.topP < 1 {
            for (j, x) in w.enumerated() {
                running += x
                if running >= Double(o.topP) * total { kept = j + 1; break }
            }
        }
        if o.minP > 0 { kept = min(kept, w.prefix { $0 >= Double(o.minP) }.count) }
        let keptTotal = w[..<kept].reduce(0, +)
        var c = 0.0
        return (Array(ids[..<kept]), w[..<kept].map { c += $0; return c / keptTotal })
    }

    /// A small deterministic generator for the cases (xorshift64*).
    struct Cases {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func normal() -> Double { (-2 * log(max(unit(), 1e-300))).squareRoot() * cos(2 * .pi * unit()) }
        mutating func pick<T>(_ xs: [T]) -> T { xs[Int(next() % UInt64(xs.count))] }

        /// Logits of `n` tokens: normal values times a scale, with repeated values (ties) and a few
        /// −∞ and NaN entries.
        mutating func logits(_ n: Int) -> [Float] {
            let scale = pick([0.5, 2.0, 6.0])
            var l = (0..<n).map { _ in Float(normal() * scale) }
            for i in 0..<n where next() % 7 == 0 { l[i] = l[Int(next() % UInt64(n))] }
            for i in 0..<n where next() % 23 == 0 { l[i] = next() % 2 == 0 ? -.infinity : .nan }
            if l.allSatisfy({ !$0.isFinite }) { l[0] = 1 }
            return l
        }
    }

    /// Whether `x` is within `eps` of one of the cut points (where float32 and float64 may disagree).
    static func nearCut(_ x: Double, _ cuts: [Double], _ eps: Double = 1e-5) -> Bool { cuts.contains { abs($0 - x) < eps } }

    @Test("the draw is the inverse of the cumulative distribution over the kept tokens in descending order (random logits with ties, −∞ and NaN; every temperature, top-k, top-p and min-p)")
    func inverseCumulative() {
        var g = Cases(state: 0x5CA1AB1E)
        var checked = 0
        for _ in 0..<400 {
            let n = 2 + Int(g.next() % 60)
            let logits = g.logits(n)
            var o = SamplingOptions(temperature: Float(g.pick([0.3, 0.7, 1, 1.5, 2])), topK: g.pick([0, 1, 3, n / 2, n + 5]),
                                    topP: Float(g.pick([1, 0.95, 0.8, 0.5, 0.1])))
            o.minP = Float(g.pick([0, 0, 0.02, 0.2, 0.7]))
            let ref = Self.reference(logits, o)
            // Skip cases with a weight where float32 rounding may move it across min-p.
            if o.minP > 0 {
                let m = Double(logits.filter { !$0.isNaN }.max()!)
                let weights = logits.filter { !$0.isNaN }.map { exp((Double($0) - m) / Double(o.temperature)) }
                if Self.nearCut(Double(o.minP), weights, 1e-4) { continue }
            }
            // Skip cases whose top-p cut sits where float32 rounding may move it.
            if o.topP < 1 {
                let all = Self.reference(logits, SamplingOptions(temperature: o.temperature, topK: o.topK))
                if Self.nearCut(Double(o.topP), all.cumulative, 1e-4) { continue }
            }
            var sampler = Sampler(o)
            for r in stride(from: 0.0, to: 1.0, by: 0.013) where !Self.nearCut(r, ref.cumulative) {
                let expected = ref.ids[ref.cumulative.firstIndex { $0 > r } ?? ref.ids.count - 1]
                let got = logits.withUnsafeBufferPointer { sampler.choose($0, at: r) }
                #expect(got == expected, "logits \(logits) \(o) r \(r)")
                checked += 1
            }
        }
        #expect(checked > 10_000, "only \(checked) draws checked")
    }

    @Test("a vocabulary of 49,152 tokens: draws deep in the tail (past the first levels of the partial order) match the closed form")
    func largeVocabulary() {
        var g = Cases(state: 42)
        for (scale, temperature, topP) in [(2.5, Float(1), Float(1)), (2.5, 1, 0.9), (40, 2, 1), (1, 0.3, 0.99)] {
            let logits = (0..<49_152).map { _ in Float(g.normal() * scale) }
            let o = SamplingOptions(temperature: temperature, topP: topP)
            let ref = Self.reference(logits, o)
            var sampler = Sampler(o)
            for r in [0.0, 0.001, 0.3, 0.5, 0.9, 0.99, 0.999, 0.999_999] where !Self.nearCut(r, ref.cumulative, 1e-6) {
                let expected = ref.ids[ref.cumulative.firstIndex { $0 > r } ?? ref.ids.count - 1]
                let got = logits.withUnsafeBufferPointer { sampler.choose($0, at: r) }
                #expect(got == expected, "scale \(scale) T \(temperature) top-p \(topP) r \(r)")
            }
        }
    }

    @Test("seeded draws: the same seed gives the same tokens; frequencies over 20,000 draws match the probabilities")
    func seededFrequencies() {
        let logits: [Float] = [2, 1.5, 1.5, 0, -1, -.infinity, .nan, 3, -0.5]
        for o in [SamplingOptions(temperature: 1, seed: 7), SamplingOptions(temperature: 0.7, topK: 4, seed: 8),
                  SamplingOptions(temperature: 1.3, topP: 0.8, seed: 9)] {
            let ref = Self.reference(logits, o)
            var a = Sampler(o), b = Sampler(o)
            let draws = 20_000
            var counts = [Int32: Int]()
            logits.withUnsafeBufferPointer { l in
                for _ in 0..<draws {
                    let t = a.sample(l)
                    #expect(t == b.sample(l))
                    counts[t, default: 0] += 1
                }
            }
            #expect(Set(counts.keys).isSubset(of: Set(ref.ids)), "\(o): drew \(counts.keys.sorted()), kept \(ref.ids)")
            for (j, id) in ref.ids.enumerated() {
                let p = ref.cumulative[j] - (j > 0 ? ref.cumulative[j - 1] : 0)
                let f = Double(counts[id, default: 0]) / Double(draws)
                #expect(abs(f - p) <= 5 * (p * (1 - p) / Double(draws)).squareRoot() + 1e-4, "\(o) token \(id): frequency \(f), probability \(p)")
            }
        }
    }

    @Test("edge cases: greedy, top-k 1, a tiny temperature, a +∞ logit, one finite logit, one token")
    func edges() {
        let logits: [Float] = [0.5, 2, 2, -1]
        logits.withUnsafeBufferPointer { l in
            var greedy = Sampler(.greedy), top1 = Sampler(SamplingOptions(temperature: 1, topK: 1)),
                cold = Sampler(SamplingOptions(temperature: 1e-6))
            for _ in 0..<50 {
                #expect(greedy.sample(l) == 1)
                #expect(top1.sample(l) == 1)
                #expect([1, 2].contains(cold.sample(l)))
            }
        }
        var s = Sampler(SamplingOptions(temperature: 1))
        for r in [0.0, 0.5, 0.999] {
            #expect([Float](arrayLiteral: 0, .infinity, 5).withUnsafeBufferPointer { s.choose($0, at: r) } == 1)
            #expect([Float](arrayLiteral: -.infinity, .nan, 3, -.infinity).withUnsafeBufferPointer { s.choose($0, at: r) } == 2)
            #expect([Float](arrayLiteral: 4).withUnsafeBufferPointer { s.choose($0, at: r) } == 0)
        }
        // Gaps that leave levels of the partial order empty: the walk must pass them.
        let gaps: [Float] = [-300, 10, 9.5, -50, -80, .nan]
        let ref = Self.reference(gaps, SamplingOptions(temperature: 30))
        var warm = Sampler(SamplingOptions(temperature: 30))
        for r in [0.0, 0.3, 0.6, 0.9, 0.99, 0.999_999] where !Self.nearCut(r, ref.cumulative) {
            let expected = ref.ids[ref.cumulative.firstIndex { $0 > r } ?? ref.ids.count - 1]
            #expect(gaps.withUnsafeBufferPointer { warm.choose($0, at: r) } == expected, "r \(r)")
        }
        var cold2 = Sampler(SamplingOptions(temperature: 1, topP: 0.999_999_9))
        #expect(gaps.withUnsafeBufferPointer { cold2.choose($0, at: 0.999_999_9) } == 2)
    }
}
