import Testing
@testable import Plot

@Suite struct AxisTests {
    static func layout(_ configure: (Axes) throws -> Void) rethrows -> AxesLayout {
        let fig = Figure(width: 600, height: 400)
        try configure(fig[0, 0])
        return fig[0, 0].layout(in: fig.panelRects()[0], style: fig.style)
    }

    @Test func logAxisSpacesPowersOfTheBaseEvenly() throws {
        let L = try Self.layout { ax in
            ax.xScale = .log(base: 2)
            try ax.plot([128, 256, 512, 1024, 2048], [1, 2, 3, 4, 5])
        }
        let d1 = L.x.pixel(256) - L.x.pixel(128), d2 = L.x.pixel(2048) - L.x.pixel(1024)
        #expect(abs(d1 - d2) < 1e-6 && d1 > 0)
        #expect(L.xTicks.map(\.1) == ["128", "256", "512", "1024", "2048"])
        #expect(L.x.pixel(0).isNaN, "non-positive values cannot be placed on a log axis")
    }

    @Test func explicitTicksAndLabelsAreUsed() throws {
        let L = try Self.layout { ax in
            try ax.bar([0, 1, 2], [3, 4, 5])
            ax.xTicks = [0, 1, 2]
            ax.xTickLabels = ["FullKV", "H2O", "SCOPE"]
        }
        #expect(L.xTicks.map(\.1) == ["FullKV", "H2O", "SCOPE"])
    }

    @Test func byteAxisTicksAreWholeBinaryUnits() throws {
        let L = try Self.layout { ax in
            try ax.plot([0, 1], [0, 11_000_000])
            ax.yTickFormat = .bytes
            ax.yLimits = 0...11_000_000
        }
        #expect(L.yTicks.first?.1 == "0 MiB")
        #expect(L.yTicks.allSatisfy { $0.0.truncatingRemainder(dividingBy: 1_048_576) == 0 }, "\(L.yTicks)")
    }

    @Test func explicitLimitsAreKeptAndAutoLimitsHaveAMargin() throws {
        let fixed = try Self.layout { ax in
            try ax.plot([0, 10], [0.2, 0.4])
            ax.yLimits = 0...1
        }
        #expect(fixed.y.lo == 0 && fixed.y.hi == 1)
        #expect(fixed.yTicks.first?.0 == 0 && fixed.yTicks.last?.0 == 1)
        let auto = try Self.layout { ax in try ax.plot([0, 10], [0.2, 0.4]) }
        #expect(auto.x.lo < 0 && auto.x.hi > 10)
        #expect(auto.y.lo < 0.2 && auto.y.hi > 0.4)
    }

    @Test func heatmapPutsRowZeroAtTheTopAndSpansTheMatrix() throws {
        let L = try Self.layout { ax in try ax.heatmap([[1, 2, 3], [4, 5, 6]]) }
        #expect(L.x.lo == 0 && L.x.hi == 3 && L.y.lo == 0 && L.y.hi == 2)
        #expect(L.y.pixel(0) < L.y.pixel(2), "row 0 is at the top")
        #expect(L.colorbar != nil)
    }

    @Test func constantDataGetANonEmptyRange() throws {
        let L = try Self.layout { ax in try ax.plot([5, 5, 5], [2, 2, 2]) }
        #expect(L.x.hi > L.x.lo && L.y.hi > L.y.lo)
        #expect(L.x.pixel(5).isFinite && L.y.pixel(2).isFinite)
    }

    @Test func outsideLegendShrinksThePlotAndSitsRightOfIt() throws {
        let inside = try Self.layout { ax in try ax.plot([0, 1], [0, 1], label: "a fairly long label") }
        let fig = Figure(width: 600, height: 400)
        let ax = fig[0, 0]
        try ax.plot([0, 1], [0, 1], label: "a fairly long label")
        ax.legend = .outsideRight
        let outside = ax.layout(in: fig.panelRects()[0], style: fig.style)
        #expect(outside.plot.width < inside.plot.width - 100)
        let c = fig.canvas()
        let border = Color(hex: 0xB0B0B0)
        var xs: [Int] = []
        for y in 0..<c.height { for x in 0..<c.width where c[x, y] == border { xs.append(x) } }
        #expect(!xs.isEmpty && xs.min()! > Int(outside.plot.maxX))
    }

    @Test func rotatedLabelsBecomeRotatedSVGText() throws {
        let fig = Figure(width: 400, height: 300)
        try fig[0, 0].plot([0, 1], [0, 1])
        fig[0, 0].yLabel = "accuracy"
        let svg = fig.svg()
        let line = try #require(svg.split(separator: "\n").first { $0.contains(">accuracy</text>") })
        #expect(line.contains("rotate(-90"))
    }
}
