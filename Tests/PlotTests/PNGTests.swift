import Testing
@testable import Plot

@Suite struct PNGTests {
    /// A canvas with smooth gradients, flat areas and noise, so several filter types win.
    static func busyCanvas(width: Int = 97, height: Int = 61) -> Canvas {
        var c = Canvas(width: width, height: height, background: .white)
        var state: UInt32 = 12345
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 4
                state = state &* 1_103_515_245 &+ 12345
                if y < height / 3 {
                    c.pixels[i] = UInt8(x * 255 / width); c.pixels[i + 1] = UInt8(y * 4); c.pixels[i + 2] = 40
                } else if y < 2 * height / 3 {
                    c.pixels[i] = UInt8(truncatingIfNeeded: state >> 16); c.pixels[i + 1] = UInt8(truncatingIfNeeded: state >> 8)
                    c.pixels[i + 2] = UInt8(truncatingIfNeeded: state >> 24)
                }
                c.pixels[i + 3] = x % 7 == 0 ? 128 : 255
            }
        }
        return c
    }

    @Test func crcOfCheckStringMatchesStandardValue() {
        #expect(PNGEncoder.crc(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNGChunks.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func encodedFileHasSignatureHeaderAndValidChunkCRCs() throws {
        let png = try PNGEncoder.encode(Self.busyCanvas())
        #expect(Array(png[0..<8]) == [137, 80, 78, 71, 13, 10, 26, 10])
        let chunks = try #require(PNGChunks.walk(png))
        #expect(chunks.first?.type == "IHDR")
        #expect(chunks.last?.type == "IEND")
        #expect(chunks.contains { $0.type == "IDAT" })
        #expect(PNGChunks.allCRCsValid(png))
        let ihdr = chunks[0].data
        #expect(ihdr.count == 13)
        #expect(PNGChunks.be32(ihdr, 0) == 97 && PNGChunks.be32(ihdr, 4) == 61)
        #expect(Array(ihdr[8...]) == [8, 6, 0, 0, 0])
    }

    @Test func zlibStreamInflatesToOneFilterBytePlusRowPerScanline() throws {
        let canvas = Self.busyCanvas()
        let image = try PNGDecoder.decode(try PNGEncoder.encode(canvas))
        #expect(image.inflatedByteCount == canvas.height * (1 + canvas.width * 4))
        #expect(image.filterTypes.count == canvas.height)
        #expect(image.filterTypes.allSatisfy { $0 <= 4 })
        #expect(Set(image.filterTypes).count >= 2, "adaptive filtering should pick different filters for different rows")
    }

    @Test func decodingReturnsTheEncodedPixels() throws {
        let canvas = Self.busyCanvas()
        let image = try PNGDecoder.decode(try PNGEncoder.encode(canvas, compressionLevel: 1))
        #expect(image.width == canvas.width && image.height == canvas.height)
        #expect(image.bitDepth == 8 && image.colorType == 6)
        #expect(image.pixels == canvas.pixels)
    }

    @Test func decoderRejectsCorruptedChunkCRC() throws {
        var png = try PNGEncoder.encode(Self.busyCanvas())
        let idat = try #require(PNGChunks.walk(png)?.first { $0.type == "IDAT" })
        png[idat.offset + 8 + 5] ^= 0x40
        #expect(throws: PlotError.self) { try PNGDecoder.decode(png) }
        do { _ = try PNGDecoder.decode(png) } catch { #expect("\(error)".contains("CRC mismatch in IDAT")) }
    }

    @Test func decoderRejectsTruncatedFileAndBadSignature() throws {
        let png = try PNGEncoder.encode(Self.busyCanvas())
        #expect(throws: PlotError.self) { try PNGDecoder.decode(Array(png[0..<(png.count - 20)])) }
        var bad = png
        bad[1] = 0
        #expect(throws: PlotError.invalidPNG("missing PNG signature at offset 0")) { try PNGDecoder.decode(bad) }
        #expect(throws: PlotError.self) { try PNGDecoder.decode([]) }
    }

    @Test func encoderRejectsPixelBufferOfWrongSize() {
        #expect(throws: PlotError.self) { try PNGEncoder.encode(width: 4, height: 4, rgba: [UInt8](repeating: 0, count: 63)) }
    }
}
