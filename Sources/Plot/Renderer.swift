/// Drawing primitives a figure is built from; implemented for raster (PNG) and vector (SVG)
/// output so both formats show the same geometry.
protocol Renderer {
    mutating func fillRect(_ r: Rect, color: Color)
    mutating func strokeRect(_ r: Rect, color: Color, width: Double)
    mutating func polyline(_ points: [Point], color: Color, width: Double, dash: [Double]?)
    mutating func markers(_ shape: MarkerShape, at points: [Point], size: Double, fill: Color, stroke: Color?)
    mutating func text(_ s: String, at anchor: Point, style: TextStyle)
    mutating func image(_ image: Canvas, in rect: Rect)
    /// Restricts later drawing to `rect` (nil removes the restriction).
    mutating func setClip(_ rect: Rect?)
}

/// Renders into a `Canvas`.
struct RasterRenderer: Renderer {
    var canvas: Canvas

    mutating func fillRect(_ r: Rect, color: Color) { canvas.fillRect(r, color: color) }
    mutating func strokeRect(_ r: Rect, color: Color, width: Double) { canvas.strokeRect(r, color: color, lineWidth: width) }
    mutating func polyline(_ points: [Point], color: Color, width: Double, dash: [Double]?) {
        canvas.drawPolyline(points, color: color, width: width, dash: dash)
    }
    mutating func markers(_ shape: MarkerShape, at points: [Point], size: Double, fill: Color, stroke: Color?) {
        for p in points where p.x.isFinite && p.y.isFinite {
            canvas.drawMarker(shape, at: p, size: size, fill: fill, stroke: stroke)
        }
    }
    mutating func text(_ s: String, at anchor: Point, style: TextStyle) { canvas.drawText(s, at: anchor, style: style) }
    mutating func image(_ image: Canvas, in rect: Rect) { canvas.drawImage(image, in: rect) }
    mutating func setClip(_ rect: Rect?) { canvas.clip = rect }
}
