import Testing
@testable import Plot

@Suite struct FontTests {
    @Test func everyPrintableASCIICharacterHasAGlyph() {
        for code in 32...126 {
            let c = Character(UnicodeScalar(UInt8(code)))
            let g = BitmapFont.glyphs[c]
            #expect(g != nil, "no glyph for '\(c)'")
            #expect(g?.count == BitmapFont.rows)
            #expect(g?.allSatisfy { $0 < 32 } == true)
            if c != " " { #expect(g?.contains { $0 != 0 } == true, "glyph '\(c)' is blank") }
        }
    }

    @Test func lettersAndDigitsHaveDistinctGlyphs() {
        let chars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let patterns = Set(chars.map { BitmapFont.glyph(for: $0) })
        #expect(patterns.count == chars.count)
    }

    @Test func unknownCharactersUseTheReplacementGlyph() {
        #expect(BitmapFont.glyph(for: "€") == BitmapFont.glyph(for: BitmapFont.replacement))
    }

    @Test func maskSizeFollowsScale() {
        let m1 = BitmapFont.mask(of: "Hi", scale: 1)
        #expect(m1.width == 11 && m1.height == 9)
        let m2 = BitmapFont.mask(of: "Hi", scale: 2)
        #expect(m2.width == 22 && m2.height == 18)
        #expect(m2.coverage.allSatisfy { $0 == 0 || $0 == 1 }, "integer scales are crisp")
        let m15 = BitmapFont.mask(of: "Hi", scale: 1.5)
        #expect(m15.coverage.contains { $0 > 0 && $0 < 1 }, "fractional scales are antialiased")
        #expect(Double(m1.width) == BitmapFont.width(of: "Hi", scale: 1))
    }
}

@Suite struct CanvasTests {
    static func ink(_ c: Canvas) -> [(Int, Int)] {
        var pts: [(Int, Int)] = []
        for y in 0..<c.height { for x in 0..<c.width where c[x, y] != .white { pts.append((x, y)) } }
        return pts
    }

    @Test func textIsDrawnAtItsAnchor() {
        var c = Canvas(width: 60, height: 30)
        c.drawText("Hello", at: Point(5, 5), style: TextStyle(scale: 1, vertical: .top))
        let pts = Self.ink(c)
        #expect(!pts.isEmpty)
        #expect(pts.map(\.0).min()! >= 5 && pts.map(\.0).max()! < 5 + 29)
        #expect(pts.map(\.1).min()! == 5 && pts.map(\.1).max()! <= 5 + 8)
    }

    @Test func rotatedTextRunsBottomToTop() {
        var c = Canvas(width: 40, height: 80)
        // "M" followed by spaces: when rotated up, the ink must sit at the bottom of the box.
        c.drawText("M    ", at: Point(10, 40), style: TextStyle(scale: 1, horizontal: .center, vertical: .top, rotation: .up))
        let pts = Self.ink(c)
        let xs = pts.map(\.0), ys = pts.map(\.1)
        #expect(!pts.isEmpty)
        #expect(xs.max()! - xs.min()! <= 7, "rotated text is narrow")
        #expect(ys.min()! > 40, "first character is below the anchor (text reads upwards)")
        #expect(xs.min()! >= 10)
    }

    @Test func horizontalLineCoversItsRowOnly() {
        var c = Canvas(width: 50, height: 20)
        c.drawLine(from: Point(5, 10.5), to: Point(45, 10.5), color: .black, width: 1)
        #expect(c[20, 10] == .black)
        #expect(c[20, 8] == .white && c[20, 12] == .white)
    }

    @Test func dashedLineHasGaps() {
        var c = Canvas(width: 120, height: 10)
        c.drawLine(from: Point(0, 5.5), to: Point(120, 5.5), color: .black, width: 1, dash: [6, 4])
        var transitions = 0
        for x in 1..<120 where (c[x, 5] == .white) != (c[x - 1, 5] == .white) { transitions += 1 }
        #expect(transitions >= 20)
    }

    @Test func diagonalLineIsAntialiased() {
        var c = Canvas(width: 40, height: 40)
        c.drawLine(from: Point(2, 3), to: Point(37, 30), color: .black, width: 1.5)
        let greys = Self.ink(c).filter { c[$0.0, $0.1] != .black }
        #expect(greys.count > 10, "edge pixels get partial coverage")
    }

    @Test func circleFillsItsCentreAndNotItsSurroundings() {
        var c = Canvas(width: 30, height: 30)
        c.fillCircle(center: Point(15, 15), radius: 5, color: .red)
        #expect(c[15, 15] == .red)
        #expect(c[15, 24] == .white && c[3, 15] == .white)
    }

    @Test func clipRectangleLimitsDrawing() {
        var c = Canvas(width: 40, height: 40)
        c.clip = Rect(x: 10, y: 10, width: 10, height: 10)
        c.fillRect(Rect(x: 0, y: 0, width: 40, height: 40), color: .blue)
        #expect(c[15, 15] == .blue)
        #expect(c[5, 5] == .white && c[25, 15] == .white)
    }

    @Test func markersOfEveryShapeLeaveInk() {
        for shape in MarkerShape.allCases {
            var c = Canvas(width: 20, height: 20)
            c.drawMarker(shape, at: Point(10, 10), size: 8, fill: .black)
            #expect(Self.ink(c).count >= 8, "\(shape)")
        }
    }

    @Test func blendingHalfTransparentBlackOnWhiteGivesGrey() {
        var c = Canvas(width: 2, height: 2)
        c.blend(x: 0, y: 0, color: Color.black.opacity(0.5))
        let p = c[0, 0]
        #expect(p.r > 120 && p.r < 135 && p.a == 255)
    }
}
