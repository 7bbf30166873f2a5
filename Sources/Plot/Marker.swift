/// Shapes drawn at data points.
public enum MarkerShape: String, Sendable, CaseIterable {
    case circle, square, triangle, diamond, plus, cross

    /// Outline of filled shapes, centred at `c` with overall size `size` (pixels).
    func polygon(at c: Point, size: Double) -> [Point] {
        let r = size / 2
        switch self {
        case .square:
            return [Point(c.x - r, c.y - r), Point(c.x + r, c.y - r), Point(c.x + r, c.y + r), Point(c.x - r, c.y + r)]
        case .triangle:
            let h = r * 1.15
            return [Point(c.x, c.y - h), Point(c.x + h * 0.866, c.y + h * 0.5), Point(c.x - h * 0.866, c.y + h * 0.5)]
        case .diamond:
            let h = r * 1.25
            return [Point(c.x, c.y - h), Point(c.x + h * 0.8, c.y), Point(c.x, c.y + h), Point(c.x - h * 0.8, c.y)]
        case .circle, .plus, .cross:
            return []
        }
    }

    /// Stroked segments for line-only shapes.
    func strokes(at c: Point, size: Double) -> [(Point, Point)] {
        let r = size / 2
        switch self {
        case .plus: return [(Point(c.x - r, c.y), Point(c.x + r, c.y)), (Point(c.x, c.y - r), Point(c.x, c.y + r))]
        case .cross:
            let d = r * 0.8
            return [(Point(c.x - d, c.y - d), Point(c.x + d, c.y + d)), (Point(c.x - d, c.y + d), Point(c.x + d, c.y - d))]
        default: return []
        }
    }

    /// Whether the shape is made of strokes only (plus, cross).
    var isStrokeOnly: Bool { self == .plus || self == .cross }
}
