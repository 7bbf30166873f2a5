/// Stroke pattern of a line.
public enum LineDash: Sendable, Equatable {
    case solid, dashed, dotted, dashDot
    /// Alternating on/off lengths in pixels.
    case custom([Double])

    /// On/off lengths in pixels for a line of the given width (nil for solid).
    func pattern(width: Double) -> [Double]? {
        let w = max(1, width)
        switch self {
        case .solid: return nil
        case .dashed: return [5 * w + 2, 3 * w + 1]
        case .dotted: return [w, 2 * w + 1]
        case .dashDot: return [5 * w + 2, 2 * w + 1, w, 2 * w + 1]
        case .custom(let p): return p
        }
    }
}

/// A polyline through (x, y) points, optionally with markers.
public struct LineSeries: Sendable {
    public var xs: [Double]
    public var ys: [Double]
    public var label: String?
    public var color: Color?
    public var width: Double
    public var dash: LineDash
    public var marker: MarkerShape?
    public var markerSize: Double
}

/// Unconnected markers, suitable for thousands of points.
public struct ScatterSeries: Sendable {
    public var xs: [Double]
    public var ys: [Double]
    public var label: String?
    public var color: Color?
    public var marker: MarkerShape
    public var size: Double
    public var opacity: Double
}

/// A line across the whole plot at a fixed x (vertical) or y (horizontal).
public struct ReferenceLine: Sendable {
    public enum Orientation: Sendable { case vertical, horizontal }
    public var orientation: Orientation
    public var value: Double
    public var label: String?
    public var color: Color?
    public var width: Double
    public var dash: LineDash
}

/// Vertical bars centred at x.
public struct BarSeries: Sendable {
    public var xs: [Double]
    public var heights: [Double]
    public var barWidth: Double
    public var label: String?
    public var color: Color?
}

/// How a heatmap condenses several matrix cells that fall into one output pixel.
public enum HeatmapAggregation: Sendable {
    /// The average of the covered cells.
    case mean
    /// The largest covered cell (keeps isolated hot spots visible when downsampling).
    case max
}

/// A matrix drawn as coloured cells; cell (row r, column c) covers x in [c, c+1), y in [r, r+1).
public struct Heatmap: Sendable {
    public var rows: Int
    public var columns: Int
    /// Row-major values (`rows × columns`); NaN cells are left blank.
    public var values: [Double]
    public var colormap: Colormap
    /// Values at or below `vmin` get the first colour; at or above `vmax` the last (clipping).
    public var vmin: Double
    public var vmax: Double
    public var colorbar: Bool
    public var colorbarLabel: String?
    public var aggregation: HeatmapAggregation
}

/// A text placed at data coordinates.
public struct Annotation: Sendable {
    public var text: String
    public var x: Double
    public var y: Double
    public var color: Color
    public var horizontal: HorizontalAlignment
    public var vertical: VerticalAlignment
}

/// Everything an `Axes` can hold, in drawing order.
enum SeriesItem: Sendable {
    case line(LineSeries)
    case scatter(ScatterSeries)
    case reference(ReferenceLine)
    case bars(BarSeries)
    case annotation(Annotation)
}
