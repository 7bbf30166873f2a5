/// Sizes and colours shared by all panels of a figure.
public struct FigureStyle: Sendable {
    public var figureTitle = TextStyle(scale: 2, color: .black, bold: true)
    public var title = TextStyle(scale: 2, color: .black)
    public var axisLabel = TextStyle(scale: 1.5, color: Color(hex: 0x202020))
    public var tickLabel = TextStyle(scale: 1, color: Color(hex: 0x303030))
    public var legendText = TextStyle(scale: 1, color: Color(hex: 0x202020))
    public var background = Color.white
    public var plotBackground = Color.white
    public var gridColor = Color(hex: 0xE6E6E6)
    public var axisColor = Color(hex: 0x505050)
    public var tickLength = 4.0
    /// Width of the plot frame, ticks and grid lines.
    public var axisLineWidth = 1.0
    /// General spacing between elements, in pixels.
    public var padding = 8.0

    public init() {}

    /// The style with every size multiplied by `factor` (for high-resolution output).
    public func scaled(by factor: Double) -> FigureStyle {
        var s = self
        for kp in [\FigureStyle.figureTitle, \.title, \.axisLabel, \.tickLabel, \.legendText] as [WritableKeyPath<FigureStyle, TextStyle>] {
            s[keyPath: kp].scale *= factor
        }
        s.tickLength *= factor
        s.axisLineWidth *= factor
        s.padding *= factor
        return s
    }
}
