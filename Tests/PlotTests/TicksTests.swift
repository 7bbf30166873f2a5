import Foundation
import Testing
@testable import Plot

@Suite struct TicksTests {
    /// Whether `step` is 1, 2 or 5 times a power of ten.
    static func isNice(_ step: Double) -> Bool {
        let k = (log10(step)).rounded(.down)
        let m = step / pow(10, k)
        return [1, 2, 5, 10].contains { abs(m - $0) < 1e-9 }
    }

    @Test(arguments: [(0.0, 1.0), (0, 100), (-3.7, 12.2), (0.001, 0.0123), (0, 1e6), (17, 18), (-1e-5, 3e-5), (1990, 2025)])
    func ticksAreNiceMultiplesInsideTheRange(lo: Double, hi: Double) {
        let ticks = NiceTicks.ticks(from: lo, to: hi, target: 6)
        #expect(ticks.count >= 3 && ticks.count <= 12, "\(ticks)")
        #expect(ticks.allSatisfy { $0 >= lo - 1e-12 && $0 <= hi + 1e-12 })
        let step = ticks[1] - ticks[0]
        #expect(Self.isNice(step), "step \(step)")
        for i in 1..<ticks.count { #expect(abs(ticks[i] - ticks[i - 1] - step) < step * 1e-9) }
    }

    @Test func ticksForUnitRangeAreTenthsOrFifths() {
        #expect(NiceTicks.ticks(from: 0, to: 1, target: 5) == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(NiceTicks.ticks(from: 0, to: 1, target: 10) == [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1])
        #expect(NiceTicks.ticks(from: -3.7, to: 12.2, target: 6) == [-2, 0, 2, 4, 6, 8, 10, 12])
        #expect(NiceTicks.step(span: 730, target: 5) == 200)  // 146 is nearer 200 than 100 in ratio
        #expect(NiceTicks.step(span: 690, target: 5) == 100)
    }

    @Test func logTicksArePowersOfTheBase() {
        #expect(NiceTicks.logTicks(from: 100, to: 3000, base: 2) == [128, 256, 512, 1024, 2048])
        #expect(NiceTicks.logTicks(from: 0.5, to: 2e5, base: 10) == [1, 10, 100, 1000, 10000, 100_000])
    }

    @Test func automaticLabelsUseDecimalsOfTheStep() {
        #expect(TickFormat.automatic.labels(for: [0, 0.2, 0.4]) == ["0.0", "0.2", "0.4"])
        #expect(TickFormat.automatic.labels(for: [0, 0.005, 0.01]) == ["0.000", "0.005", "0.010"])
        #expect(TickFormat.automatic.labels(for: [0, 200, 400]) == ["0", "200", "400"])
        #expect(TickFormat.automatic.labels(for: [-10, 0, 10]) == ["-10", "0", "10"])
        #expect(TickFormat.automatic.labels(for: [0, 5e6, 1e7]) == ["0", "5e6", "1e7"])
        #expect(TickFormat.automatic.labels(for: [0, 1.5e6, 3e6]) == ["0", "1.5e6", "3e6"])
    }

    @Test func percentAndByteLabels() {
        #expect(TickFormat.percent.labels(for: [0, 0.25, 0.5]) == ["0%", "25%", "50%"])
        #expect(TickFormat.bytes.labels(for: [0, 1_048_576, 2_097_152]) == ["0 MiB", "1 MiB", "2 MiB"])
        #expect(TickFormat.bytes.labels(for: [0, 512, 1024]) == ["0.0 KiB", "0.5 KiB", "1.0 KiB"])
        #expect(TickFormat.bytes.labels(for: [0, 200, 400]) == ["0 B", "200 B", "400 B"])
        #expect(TickFormat.fixed(2).labels(for: [1, 2]) == ["1.00", "2.00"])
    }

    @Test func fixedFormattingNeverWritesNegativeZero() {
        #expect(TickFormat.fixed(-0.0001, decimals: 2) == "0.00")
        #expect(TickFormat.fixed(-0.0001, decimals: 0) == "0")
        #expect(TickFormat.fixed(-1.25, decimals: 1) == "-1.3")
        #expect(TickFormat.fixed(0.05, decimals: 3) == "0.050")
    }
}
