import Testing
@testable import Kernels
import ScopeTestSupport

@Suite("VectorMath.argmax against the one-value-at-a-time rule")
struct ArgmaxTests {
    /// The rule `argmax` states: from best = −∞, index i wins when x[i] > best (so NaN never wins,
    /// the lowest index wins a tie, and 0 is the answer when nothing exceeds −∞).
    static func scalarRule(_ x: [Float]) -> Int {
        var best = 0, value = -Float.infinity
        for i in x.indices where x[i] > value { value = x[i]; best = i }
        return best
    }

    @Test("random rows with ties, NaN, ±infinity and signed zeros, every length 0…100 and 49,152")
    func matchesScalarRule() {
        var rng = SeededRandom(seed: 42)
        let specials: [Float] = [.nan, -.infinity, .infinity, 0, -0.0, 1, -1]
        for n in Array(0...100) + [49_152] {
            for trial in 0..<12 {
                // Few distinct values so ties are common; some trials sprinkle special values.
                var x = (0..<n).map { _ in Float(Int(rng.next() % 7)) - 3 }
                if trial % 3 == 1 { for i in x.indices where rng.next() % 5 == 0 { x[i] = specials[Int(rng.next() % 7)] } }
                if trial % 3 == 2 { x = x.map { _ in rng.next() % 4 == 0 ? -.infinity : .nan } }
                if trial == 3 { x = x.map { _ in rng.next() % 2 == 0 ? 0 : -0.0 } }
                let got = x.withUnsafeBufferPointer { n == 0 ? 0 : VectorMath.argmax($0.baseAddress!, count: n) }
                #expect(got == Self.scalarRule(x), "n \(n) trial \(trial)")
            }
        }
    }
}
