/// A continuous colour map: evenly spaced colour stops, linearly interpolated.
public struct Colormap: Hashable, Sendable {
    /// Colour stops from t = 0 to t = 1 (at least two).
    public let stops: [Color]
    public let name: String

    public init(name: String, stops: [Color]) {
        precondition(stops.count >= 2, "a colour map needs at least two stops")
        self.name = name
        self.stops = stops
    }

    /// The colour at `t` (clamped to 0...1; NaN maps to 0).
    public func color(at t: Double) -> Color {
        let t = t.isNaN ? 0 : min(max(t, 0), 1)
        let scaled = t * Double(stops.count - 1)
        let i = min(Int(scaled), stops.count - 2)
        return stops[i].mixed(with: stops[i + 1], scaled - Double(i))
    }

    /// A 256-entry lookup table (fast per-pixel mapping).
    public func table(_ n: Int = 256) -> [Color] {
        (0..<n).map { color(at: Double($0) / Double(n - 1)) }
    }

    /// Perceptually ordered dark purple → teal → yellow, approximating matplotlib's viridis
    /// with ten evenly spaced samples of the published map.
    public static let viridis = Colormap(name: "viridis", stops: [
        0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E, 0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C, 0xFDE725,
    ].map { Color(hex: $0) })

    /// Black → red → yellow → white (like "hot"/"inferno"): good for sparse attention.
    public static let inferno = Colormap(name: "inferno", stops: [
        0x000004, 0x1B0C41, 0x4A0C6B, 0x781C6D, 0xA52C60, 0xCF4446, 0xED6925, 0xFB9B06, 0xF7D13D, 0xFCFFA4,
    ].map { Color(hex: $0) })

    /// White → black.
    public static let grays = Colormap(name: "grays", stops: [.white, .black])

    /// Blue → white → red, for signed data centred on zero.
    public static let blueRed = Colormap(name: "blueRed", stops: [
        Color(hex: 0x2166AC), Color(hex: 0x92C5DE), Color(hex: 0xF7F7F7), Color(hex: 0xF4A582), Color(hex: 0xB2182B),
    ])
}

/// A categorical palette for distinguishing series (ten colours, cycled).
public struct Palette: Hashable, Sendable {
    public let colors: [Color]
    public init(_ colors: [Color]) {
        precondition(!colors.isEmpty, "a palette needs at least one colour")
        self.colors = colors
    }

    /// The `i`-th colour, cycling.
    public subscript(i: Int) -> Color { colors[((i % colors.count) + colors.count) % colors.count] }

    /// The widely used "category10" palette.
    public static let category10 = Palette([
        0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD, 0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF,
    ].map { Color(hex: $0) })
}
