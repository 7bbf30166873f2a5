/// An sRGB colour with 8-bit channels and straight (non-premultiplied) alpha.
public struct Color: Hashable, Sendable, CustomStringConvertible {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8
    public var a: UInt8

    public init(r: UInt8, g: UInt8, b: UInt8, a: UInt8 = 255) {
        self.r = r; self.g = g; self.b = b; self.a = a
    }

    /// A colour from `0xRRGGBB`.
    public init(hex: UInt32, alpha: UInt8 = 255) {
        self.init(r: UInt8((hex >> 16) & 0xFF), g: UInt8((hex >> 8) & 0xFF), b: UInt8(hex & 0xFF), a: alpha)
    }

    /// A colour from channel values in 0...1 (clamped).
    public init(red: Double, green: Double, blue: Double, alpha: Double = 1) {
        func q(_ v: Double) -> UInt8 { UInt8((min(max(v.isNaN ? 0 : v, 0), 1) * 255).rounded()) }
        self.init(r: q(red), g: q(green), b: q(blue), a: q(alpha))
    }

    /// The same colour with a different opacity (0...1).
    public func opacity(_ alpha: Double) -> Color {
        var c = self
        c.a = UInt8((min(max(alpha, 0), 1) * 255).rounded())
        return c
    }

    /// Linear interpolation between two colours (t in 0...1).
    public func mixed(with other: Color, _ t: Double) -> Color {
        let t = min(max(t, 0), 1)
        func m(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) + (Double(y) - Double(x)) * t).rounded()) }
        return Color(r: m(r, other.r), g: m(g, other.g), b: m(b, other.b), a: m(a, other.a))
    }

    /// `#rrggbb` (opacity is written separately in SVG).
    public var hexString: String {
        let digits = Array("0123456789abcdef")
        var s = "#"
        for v in [r, g, b] { s.append(digits[Int(v >> 4)]); s.append(digits[Int(v & 15)]) }
        return s
    }

    public var description: String { a == 255 ? hexString : "\(hexString)@\(a)" }

    public static let black = Color(hex: 0x000000)
    public static let white = Color(hex: 0xFFFFFF)
    public static let clear = Color(r: 0, g: 0, b: 0, a: 0)
    public static let gray = Color(hex: 0x808080)
    public static let lightGray = Color(hex: 0xD0D0D0)
    public static let darkGray = Color(hex: 0x404040)
    public static let red = Color(hex: 0xD62728)
    public static let blue = Color(hex: 0x1F77B4)
    public static let green = Color(hex: 0x2CA02C)
    public static let orange = Color(hex: 0xFF7F0E)
}
