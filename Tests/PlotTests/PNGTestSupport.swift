@testable import Plot

/// An independent PNG chunk walker for tests (own CRC-32, no zlib), so the encoder is not
/// checked only by code that shares its helpers.
enum PNGChunks {
    struct Chunk { let type: String; let data: [UInt8]; let storedCRC: UInt32; let offset: Int }

    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static func be32(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
    }

    /// The chunks after the signature (nil when the layout is broken).
    static func walk(_ png: [UInt8]) -> [Chunk]? {
        var o = 8, out: [Chunk] = []
        while o < png.count {
            guard o + 12 <= png.count else { return nil }
            let n = Int(be32(png, o))
            guard o + 12 + n <= png.count else { return nil }
            out.append(Chunk(type: String(decoding: png[(o + 4)..<(o + 8)], as: UTF8.self),
                             data: Array(png[(o + 8)..<(o + 8 + n)]), storedCRC: be32(png, o + 8 + n), offset: o))
            o += 12 + n
        }
        return out
    }

    /// Whether every chunk's stored CRC equals the CRC-32 of its type and data.
    static func allCRCsValid(_ png: [UInt8]) -> Bool {
        guard let chunks = walk(png) else { return false }
        return chunks.allSatisfy { crc32(Array($0.type.utf8) + $0.data) == $0.storedCRC }
    }
}

extension Canvas {
    /// Number of pixels inside `rect` whose colour differs from `color`.
    func countPixels(in rect: Rect, differentFrom color: Color) -> Int {
        var n = 0
        for y in max(0, Int(rect.minY))..<min(height, Int(rect.maxY)) {
            for x in max(0, Int(rect.minX))..<min(width, Int(rect.maxX)) where self[x, y] != color { n += 1 }
        }
        return n
    }
}
