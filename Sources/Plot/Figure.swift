import Foundation

/// A figure: a grid of `Axes` panels with an optional overall title, rendered to PNG or SVG.
///
///     let fig = Figure(width: 900, height: 500)
///     let ax = fig[0, 0]
///     try ax.plot([1, 2, 3], [0.2, 0.5, 0.4], label: "SCOPE", marker: .circle)
///     ax.xLabel = "budget"; ax.yLabel = "accuracy"; ax.title = "GSM8K+"
///     try fig.write(to: "/tmp/acc.png")
public final class Figure {
    public let width: Int
    public let height: Int
    public let rows: Int
    public let columns: Int
    /// Title above all panels (nil = none).
    public var title: String?
    public var style = FigureStyle()
    /// One legend for the whole figure, centred below the panels, listing each label once;
    /// panel legends are then not drawn.
    public var sharedLegend = false
    /// Panels in row-major order.
    public let axes: [Axes]

    /// A figure of `width × height` pixels with a `rows × columns` grid of panels.
    public init(width: Int = 800, height: Int = 500, rows: Int = 1, columns: Int = 1) {
        precondition(width >= 16 && height >= 16, "figure size \(width)×\(height) is too small")
        precondition(rows >= 1 && columns >= 1, "figure grid \(rows)×\(columns) must have at least one panel")
        self.width = width
        self.height = height
        self.rows = rows
        self.columns = columns
        self.axes = (0..<(rows * columns)).map { _ in Axes() }
    }

    /// The panel at (row, column).
    public subscript(row: Int, column: Int) -> Axes {
        precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                     "panel (\(row), \(column)) is outside the \(rows)×\(columns) grid")
        return axes[row * columns + column]
    }

    /// The panel rectangles in row-major order.
    func panelRects() -> [Rect] {
        var top = 0.0
        if let title, !title.isEmpty { top = style.padding + style.figureTitle.lineHeight }
        let bottom = sharedLegend ? FigureLegendLayout(axes: axes, width: Double(width), style: style).height : 0
        let cellW = Double(width) / Double(columns), cellH = (Double(height) - top - bottom) / Double(rows)
        return (0..<(rows * columns)).map { i in
            Rect(x: (Double(i % columns) * cellW).rounded(), y: (top + Double(i / columns) * cellH).rounded(),
                 width: cellW.rounded(.down), height: cellH.rounded(.down))
        }
    }

    func render<R: Renderer>(into r: inout R) {
        r.fillRect(Rect(x: 0, y: 0, width: Double(width), height: Double(height)), color: style.background)
        if let title, !title.isEmpty {
            var s = style.figureTitle
            s.horizontal = .center; s.vertical = .top
            r.text(title, at: Point(Double(width) / 2, style.padding), style: s)
        }
        for (ax, rect) in zip(axes, panelRects()) {
            ax.draw(in: rect, style: style, drawLegend: !sharedLegend, renderer: &r)
        }
        if sharedLegend {
            FigureLegendLayout(axes: axes, width: Double(width), style: style)
                .draw(bottom: Double(height) - style.padding, style: style, renderer: &r)
        }
    }

    /// The figure as a raster image.
    public func canvas() -> Canvas {
        var r = RasterRenderer(canvas: Canvas(width: width, height: height, background: style.background))
        render(into: &r)
        return r.canvas
    }

    /// The figure as PNG bytes.
    public func png() throws -> [UInt8] {
        try PNGEncoder.encode(canvas())
    }

    /// The figure as an SVG document.
    public func svg() -> String {
        var r = SVGRenderer(width: width, height: height)
        render(into: &r)
        return r.document()
    }

    /// Writes the figure as PNG or SVG, chosen by the path's extension (.png / .svg).
    public func write(to path: String) throws {
        try write(to: URL(fileURLWithPath: path))
    }

    /// Writes the figure as PNG or SVG, chosen by the URL's extension (.png / .svg).
    public func write(to url: URL) throws {
        let data: Data
        switch url.pathExtension.lowercased() {
        case "png": data = Data(try png())
        case "svg": data = Data(svg().utf8)
        default: throw PlotError.unsupportedExtension(url.path)
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw PlotError.io("cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}
