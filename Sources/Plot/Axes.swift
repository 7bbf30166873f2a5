/// How data values map to positions along an axis.
public enum AxisScale: Sendable, Equatable {
    case linear
    /// Logarithmic with the given base (ticks at powers of the base); values ≤ 0 are not drawn.
    case log(base: Double)
}

/// Where the legend goes inside the plot area.
public enum LegendPlacement: Sendable {
    /// The corner that hides the fewest data points.
    case best
    case upperLeft, upperRight, lowerLeft, lowerRight
    /// To the right of the plot area (the plot shrinks to make room), top-aligned.
    case outsideRight
    /// No legend.
    case hidden
}

/// One plot panel: data series, axis ranges and labels, legend. Create through `Figure`.
public final class Axes {
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    /// Explicit x range; nil = from the data with a small margin.
    public var xLimits: ClosedRange<Double>?
    /// Explicit y range; nil = from the data with a small margin.
    public var yLimits: ClosedRange<Double>?
    public var xScale: AxisScale = .linear
    public var yScale: AxisScale = .linear
    public var xTickFormat: TickFormat = .automatic
    public var yTickFormat: TickFormat = .automatic
    /// Explicit x tick positions (nil = nice ticks).
    public var xTicks: [Double]?
    /// Labels for `xTicks` (same count), e.g. category names.
    public var xTickLabels: [String]?
    public var yTicks: [Double]?
    public var yTickLabels: [String]?
    /// Draws y increasing downwards (set by `heatmap` so row 0 is at the top).
    public var yInverted = false
    /// Light grid lines at the ticks.
    public var grid = true
    public var legend: LegendPlacement = .best
    /// Colours given to series that do not name one, in order of addition.
    public var palette: Palette = .category10

    private(set) var items: [SeriesItem] = []
    private(set) var heatmapLayer: Heatmap?
    private var colorIndex = 0

    init() {}

    private func nextColor(_ explicit: Color?) -> Color {
        if let explicit { return explicit }
        defer { colorIndex += 1 }
        return palette[colorIndex]
    }

    private static func checkLengths(_ xs: [Double], _ ys: [Double], _ what: String, _ label: String?) throws {
        guard xs.count == ys.count else {
            throw PlotError.invalidInput("\(what) '\(label ?? "unlabelled")' has \(xs.count) x values but \(ys.count) y values")
        }
    }

    /// Adds a line through the points (x[i], y[i]); NaN values break the line.
    public func plot(_ xs: [Double], _ ys: [Double], label: String? = nil, color: Color? = nil, width: Double = 2,
                     dash: LineDash = .solid, marker: MarkerShape? = nil, markerSize: Double = 7) throws {
        try Self.checkLengths(xs, ys, "line", label)
        items.append(.line(LineSeries(xs: xs, ys: ys, label: label, color: nextColor(color), width: width,
                                      dash: dash, marker: marker, markerSize: markerSize)))
    }

    /// Adds a line through (i, y[i]) for i = 0, 1, 2, …
    public func plot(_ ys: [Double], label: String? = nil, color: Color? = nil, width: Double = 2,
                     dash: LineDash = .solid, marker: MarkerShape? = nil, markerSize: Double = 7) throws {
        try plot(ys.indices.map(Double.init), ys, label: label, color: color, width: width, dash: dash,
                 marker: marker, markerSize: markerSize)
    }

    /// Adds unconnected markers at (x[i], y[i]).
    public func scatter(_ xs: [Double], _ ys: [Double], label: String? = nil, color: Color? = nil,
                        marker: MarkerShape = .circle, size: Double = 4, opacity: Double = 1) throws {
        try Self.checkLengths(xs, ys, "scatter", label)
        items.append(.scatter(ScatterSeries(xs: xs, ys: ys, label: label, color: nextColor(color), marker: marker,
                                            size: size, opacity: opacity)))
    }

    /// Adds bars of the given heights centred at `xs`.
    public func bar(_ xs: [Double], _ heights: [Double], barWidth: Double = 0.8, label: String? = nil,
                    color: Color? = nil) throws {
        try Self.checkLengths(xs, heights, "bar series", label)
        guard barWidth > 0, barWidth.isFinite else {
            throw PlotError.invalidInput("bar series '\(label ?? "unlabelled")' has bar width \(barWidth), expected > 0")
        }
        items.append(.bars(BarSeries(xs: xs, heights: heights, barWidth: barWidth, label: label, color: nextColor(color))))
    }

    /// Adds a vertical line at `x` across the plot (dashed by default).
    public func verticalLine(at x: Double, label: String? = nil, color: Color? = nil, width: Double = 1.5,
                             dash: LineDash = .dashed) {
        items.append(.reference(ReferenceLine(orientation: .vertical, value: x, label: label,
                                              color: color ?? .darkGray, width: width, dash: dash)))
    }

    /// Adds a horizontal line at `y` across the plot (dashed by default).
    public func horizontalLine(at y: Double, label: String? = nil, color: Color? = nil, width: Double = 1.5,
                               dash: LineDash = .dashed) {
        items.append(.reference(ReferenceLine(orientation: .horizontal, value: y, label: label,
                                              color: color ?? .darkGray, width: width, dash: dash)))
    }

    /// Writes `text` at data position (x, y) (not included in the legend or the data range).
    public func annotate(_ text: String, x: Double, y: Double, color: Color = .black,
                         horizontal: HorizontalAlignment = .left, vertical: VerticalAlignment = .middle) {
        items.append(.annotation(Annotation(text: text, x: x, y: y, color: color, horizontal: horizontal, vertical: vertical)))
    }

    /// Shows a `rows × columns` matrix (row-major `values`) as coloured cells, with a colour bar.
    /// Values are clipped to `vmin...vmax` (defaults: the data's minimum and maximum), so
    /// `vmax: 0.01` saturates everything at or above 0.01. Row 0 is drawn at the top unless
    /// `originTop` is false. An axes holds at most one heatmap; a second call replaces the first.
    public func heatmap(_ values: [Double], rows: Int, columns: Int, colormap: Colormap = .viridis,
                        vmin: Double? = nil, vmax: Double? = nil, colorbar: Bool = true,
                        colorbarLabel: String? = nil, aggregation: HeatmapAggregation = .mean,
                        originTop: Bool = true) throws {
        guard rows > 0, columns > 0 else {
            throw PlotError.invalidInput("heatmap size \(rows)×\(columns) must be positive")
        }
        let (cells, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard !overflow, values.count == cells else {
            throw PlotError.invalidInput("heatmap has \(values.count) values, expected rows×columns = \(rows)×\(columns) = \(rows * columns)")
        }
        let finite = values.filter(\.isFinite)
        var lo = vmin ?? finite.min() ?? 0
        var hi = vmax ?? finite.max() ?? 1
        guard lo.isFinite, hi.isFinite else {
            throw PlotError.invalidInput("heatmap colour range \(lo)...\(hi) is not finite")
        }
        if vmin != nil && vmax != nil && lo >= hi {
            throw PlotError.invalidInput("heatmap vmin \(lo) must be below vmax \(hi)")
        }
        if lo >= hi {  // constant data or one bound given: open the range so every value has a colour
            if vmax != nil { lo = hi - max(abs(hi), 1) } else { hi = lo + max(abs(lo), 1) }
        }
        heatmapLayer = Heatmap(rows: rows, columns: columns, values: values, colormap: colormap, vmin: lo, vmax: hi,
                               colorbar: colorbar, colorbarLabel: colorbarLabel, aggregation: aggregation)
        yInverted = originTop
        grid = false
    }

    /// Shows a matrix given as rows of equal length (see `heatmap(_:rows:columns:...)`).
    public func heatmap(_ matrix: [[Double]], colormap: Colormap = .viridis, vmin: Double? = nil, vmax: Double? = nil,
                        colorbar: Bool = true, colorbarLabel: String? = nil,
                        aggregation: HeatmapAggregation = .mean, originTop: Bool = true) throws {
        let columns = matrix.first?.count ?? 0
        if let bad = matrix.firstIndex(where: { $0.count != columns }) {
            throw PlotError.invalidInput("heatmap row \(bad) has \(matrix[bad].count) values, row 0 has \(columns)")
        }
        try heatmap(matrix.flatMap { $0 }, rows: matrix.count, columns: columns, colormap: colormap, vmin: vmin,
                    vmax: vmax, colorbar: colorbar, colorbarLabel: colorbarLabel, aggregation: aggregation,
                    originTop: originTop)
    }
}
