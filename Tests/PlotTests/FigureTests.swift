import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Plot

@Suite struct FigureTests {
    static func lineFigure(title: String?) throws -> Figure {
        let fig = Figure(width: 500, height: 320)
        fig.title = title
        try fig[0, 0].plot([0, 1, 2, 3], [1, 3, 2, 4], label: "series A", marker: .circle)
        return fig
    }

    @Test func titleRendersInkInTheTitleArea() throws {
        let strip = Rect(x: 100, y: 0, width: 300, height: 11)
        let with = try PNGDecoder.decode(try Self.lineFigure(title: "Accuracy by budget").png())
        let without = try PNGDecoder.decode(try Self.lineFigure(title: nil).png())
        func count(_ img: PNGImage) -> Int {
            var c = Canvas(width: img.width, height: img.height)
            c.pixels = img.pixels
            return c.countPixels(in: strip, differentFrom: .white)
        }
        #expect(count(with) > 30)
        #expect(count(without) == 0)
    }

    @Test func figurePNGIsValid() throws {
        let fig = try SampleFigures.accuracyVsBudget()
        let png = try fig.png()
        #expect(PNGChunks.allCRCsValid(png))
        let img = try PNGDecoder.decode(png)
        #expect(img.width == fig.width && img.height == fig.height)
        #expect(img.inflatedByteCount == fig.height * (1 + fig.width * 4))
        #expect(img.filterTypes.allSatisfy { $0 <= 4 })
    }

    @Test func axisLabelsTakeRoomAndLeaveInk() throws {
        let fig = try Self.lineFigure(title: nil)
        let ax = fig[0, 0]
        let panel = fig.panelRects()[0]
        let before = ax.layout(in: panel, style: fig.style)
        let canvasBefore = fig.canvas()
        ax.xLabel = "decoding step"
        ax.yLabel = "accuracy"
        let after = ax.layout(in: panel, style: fig.style)
        let canvasAfter = fig.canvas()
        #expect(after.plot.minX > before.plot.minX)
        #expect(after.plot.maxY < before.plot.maxY)
        #expect(after.xTicks.count >= 3 && after.yTicks.count >= 3)
        let pad = fig.style.padding, lh = fig.style.axisLabel.lineHeight
        let leftStrip = Rect(x: 0, y: 0, width: pad + lh, height: Double(fig.height))
        #expect(canvasAfter.countPixels(in: leftStrip, differentFrom: .white)
                > canvasBefore.countPixels(in: leftStrip, differentFrom: .white) + 30)
        let bottomStrip = Rect(x: 0, y: Double(fig.height) - pad - lh, width: Double(fig.width), height: lh)
        #expect(canvasAfter.countPixels(in: bottomStrip, differentFrom: .white) > 30)
    }

    @Test func xTickLabelsDoNotOverlapOnNarrowPanels() throws {
        let fig = Figure(width: 900, height: 300, rows: 1, columns: 4)
        for ax in fig.axes { try ax.plot([0, 123_456.7], [0, 1]) }
        let ax = fig[0, 0]
        let layout = ax.layout(in: fig.panelRects()[0], style: fig.style)
        #expect(!Axes.overlaps(layout.xTicks, map: layout.x, style: fig.style.tickLabel, gap: fig.style.padding))
        #expect(layout.xTicks.count >= 2)
    }

    @Test func legendBoxIsDrawnForLabelledSeriesOnly() throws {
        let border = Color(hex: 0xB0B0B0)
        func hasBorder(_ fig: Figure) -> Bool {
            let c = fig.canvas()
            for y in 0..<c.height { for x in 0..<c.width where c[x, y] == border { return true } }
            return false
        }
        let labelled = try Self.lineFigure(title: nil)
        let unlabelled = Figure(width: 500, height: 320)
        try unlabelled[0, 0].plot([0, 1, 2, 3], [1, 3, 2, 4])
        #expect(hasBorder(labelled))
        #expect(!hasBorder(unlabelled))
    }

    @Test func sharedLegendListsEachLabelOnceBelowThePanels() throws {
        let fig = try SampleFigures.heavyHitters()
        let legend = FigureLegendLayout(axes: fig.axes, width: Double(fig.width), style: fig.style)
        #expect(legend.items.map(\.entry.label) == ["prompt keys", "generated keys", "end of prefill"])
        #expect(fig.panelRects().allSatisfy { $0.maxY <= Double(fig.height) - legend.height + 1 })
        let c = fig.canvas()
        let border = Color(hex: 0xB0B0B0)
        var boxed = false
        for y in 0..<c.height { for x in 0..<c.width where c[x, y] == border { boxed = true } }
        #expect(!boxed, "panel legends are not drawn")
        let strip = Rect(x: 0, y: Double(fig.height) - legend.height, width: Double(fig.width), height: legend.height)
        #expect(c.countPixels(in: strip, differentFrom: .white) > 100)
    }

    @Test func bestLegendPlacementAvoidsTheData() throws {
        let fig = Figure(width: 500, height: 320)
        let ax = fig[0, 0]
        // Data crowd the upper right; the legend should go elsewhere.
        try ax.scatter((0..<200).map { 8 + Double($0 % 20) / 10 }, (0..<200).map { 8 + Double($0 / 20) / 5 }, label: "cluster")
        try ax.scatter([0], [0], label: "origin")
        let c = fig.canvas()
        let L = ax.layout(in: fig.panelRects()[0], style: fig.style)
        let upperRight = Rect(x: L.plot.maxX - 60, y: L.plot.minY + 2, width: 58, height: 20)
        let border = Color(hex: 0xB0B0B0)
        var found = false
        for y in Int(upperRight.minY)..<Int(upperRight.maxY) { for x in Int(upperRight.minX)..<Int(upperRight.maxX) where c[x, y] == border { found = true } }
        #expect(!found)
    }

    @Test func heatmapDrawsColourBarSpanningTheColourMap() throws {
        let fig = try SampleFigures.attentionMap(size: 64)
        let ax = fig[0, 0]
        let L = ax.layout(in: fig.panelRects()[0], style: fig.style)
        let bar = try #require(L.colorbar)
        #expect(bar.minX > L.plot.maxX)
        let c = fig.canvas()
        let x = Int(bar.midX)
        let top = c[x, Int(bar.minY) + 2], bottom = c[x, Int(bar.maxY) - 3]
        func close(_ a: Color, _ b: Color) -> Bool { abs(Int(a.r) - Int(b.r)) + abs(Int(a.g) - Int(b.g)) + abs(Int(a.b) - Int(b.b)) < 24 }
        #expect(close(top, Colormap.viridis.color(at: 1)), "top \(top)")
        #expect(close(bottom, Colormap.viridis.color(at: 0)), "bottom \(bottom)")
        #expect(L.colorbarTicks.last?.1 == "≥0.010", "clipped values are marked on the top label")
    }

    @Test func heatmapClipsValuesAboveVmax() throws {
        let fig = Figure(width: 300, height: 300)
        let ax = fig[0, 0]
        try ax.heatmap([[0.5, 0.02], [0.0, 0.005]], vmin: 0, vmax: 0.01, colorbar: false)
        let L = ax.layout(in: fig.panelRects()[0], style: fig.style)
        let c = fig.canvas()
        let cellW = L.plot.width / 2, cellH = L.plot.height / 2
        func cell(_ r: Int, _ col: Int) -> Color { c[Int(L.plot.minX + cellW * (Double(col) + 0.5)), Int(L.plot.minY + cellH * (Double(r) + 0.5))] }
        let top = Colormap.viridis.color(at: 1)
        #expect(cell(0, 0) == top && cell(0, 1) == top, "both values above vmax saturate")
        #expect(cell(1, 0) == Colormap.viridis.color(at: 0), "row 1 is drawn below row 0")
        #expect(cell(1, 1) != top && cell(1, 1) != cell(1, 0))
    }

    @Test func svgIsWellFormedXMLWithTextAndLines() throws {
        let fig = try SampleFigures.heavyHitters()
        let svg = fig.svg()
        let collector = ElementCollector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = collector
        #expect(parser.parse(), "XML error: \(String(describing: parser.parserError))")
        #expect(collector.names.first == "svg")
        #expect(collector.names.filter { $0 == "text" }.count >= 10)
        #expect(collector.names.contains("polyline"))
        #expect(collector.names.filter { $0 == "circle" }.count > 100)
        #expect(collector.text.contains("Heavy hitters move into the generated text"))
        #expect(collector.text.contains("end of prefill"))
    }

    @Test func svgEscapesSpecialCharacters() throws {
        let fig = Figure(width: 300, height: 200)
        fig.title = "a < b & \"c\""
        try fig[0, 0].plot([0, 1], [0, 1])
        let collector = ElementCollector()
        let parser = XMLParser(data: Data(fig.svg().utf8))
        parser.delegate = collector
        #expect(parser.parse())
        #expect(collector.text.contains("a < b & \"c\""))
    }

    @Test func writeChoosesFormatByExtension() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scope-plot-write-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fig = try Self.lineFigure(title: "t")
        try fig.write(to: dir.appendingPathComponent("a.png").path)
        try fig.write(to: dir.appendingPathComponent("a.SVG").path)
        let png = try Data(contentsOf: dir.appendingPathComponent("a.png"))
        #expect(Array(png.prefix(8)) == PNGEncoder.signature)
        let svg = try String(contentsOf: dir.appendingPathComponent("a.SVG"), encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") && svg.contains("<svg"))
        #expect(throws: PlotError.unsupportedExtension(dir.appendingPathComponent("a.jpg").path)) {
            try fig.write(to: dir.appendingPathComponent("a.jpg").path)
        }
    }

    @Test func inconsistentSeriesAreRejectedWithNamedErrors() {
        let ax = Figure()[0, 0]
        #expect(throws: PlotError.invalidInput("line 'acc' has 3 x values but 2 y values")) {
            try ax.plot([1, 2, 3], [1, 2], label: "acc")
        }
        #expect(throws: PlotError.self) { try ax.heatmap([1, 2, 3], rows: 2, columns: 2) }
        #expect(throws: PlotError.self) { try ax.heatmap([[1, 2], [3]]) }
        #expect(throws: PlotError.self) { try ax.heatmap([[1, 2]], vmin: 1, vmax: 1) }
    }

    @Test func thousandsOfScatterPointsAndNonFiniteValuesRender() throws {
        let fig = Figure(width: 400, height: 300)
        let n = 20_000
        try fig[0, 0].scatter((0..<n).map { Double($0 % 500) }, (0..<n).map { Double($0 / 500) }, size: 2)
        try fig[0, 0].plot([0, 1, .nan, 3, .infinity], [1, 2, 3, .nan, 5])
        let img = try PNGDecoder.decode(try fig.png())
        #expect(img.width == 400)
    }

    @Test func dataFarOutsideExplicitLimitsIsClippedWithoutTrapping() throws {
        let fig = Figure(width: 300, height: 200)
        let ax = fig[0, 0]
        try ax.plot([0, 1, 2], [0.5, 1e300, -1e300], label: "wild")
        try ax.scatter([1e250, 0.5], [0.5, -1e250], size: 5)
        ax.annotate("far", x: 1e200, y: 1e200)
        ax.verticalLine(at: 1e305)
        ax.xLimits = 0...2
        ax.yLimits = 0...1
        let img = try PNGDecoder.decode(try fig.png())
        #expect(img.width == 300)
        #expect(fig.svg().contains("</svg>"))
        let odd = Figure(width: 200, height: 200)
        try odd[0, 0].plot([1, 2], [1, 2])
        odd[0, 0].xTicks = [.nan, .infinity, 1.5]
        odd[0, 0].yLimits = -Double.infinity...Double.infinity
        odd[0, 0].xScale = .log(base: 10)
        odd[0, 0].xLimits = 0...10
        odd.style.tickLabel.scale = 0
        _ = try odd.png()
        _ = odd.svg()
        let zoomed = Figure(width: 200, height: 200)
        try zoomed[0, 0].heatmap([Double](repeating: 1, count: 100 * 100), rows: 100, columns: 100)
        zoomed[0, 0].xLimits = 0...0.0001
        _ = try zoomed.png()
    }

    @Test func emptyAxesStillDrawAFrameAndTicks() throws {
        let fig = Figure(width: 300, height: 200)
        let L = fig[0, 0].layout(in: fig.panelRects()[0], style: fig.style)
        #expect(L.xTicks.map(\.0).first == 0 && L.xTicks.map(\.0).last == 1)
        _ = try fig.png()
    }
}

/// Collects element names and character data from an XML document.
final class ElementCollector: NSObject, XMLParserDelegate {
    var names: [String] = []
    var text = ""
    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        names.append(elementName)
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
}
