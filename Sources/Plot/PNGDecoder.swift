import CZlib

/// A decoded PNG: header fields, the chunk sequence, each row's filter type, and the pixels
/// converted to RGBA8.
public struct PNGImage: Sendable {
    public let width: Int
    public let height: Int
    public let bitDepth: UInt8
    public let colorType: UInt8
    /// Chunk types in file order (e.g. `["IHDR", "IDAT", "IEND"]`).
    public let chunkTypes: [String]
    /// The filter-type byte of each scanline (0...4).
    public let filterTypes: [UInt8]
    /// Length of the inflated IDAT stream in bytes.
    public let inflatedByteCount: Int
    /// `width × height × 4` bytes of RGBA.
    public let pixels: [UInt8]

    /// The colour of pixel (x, y).
    public subscript(x: Int, y: Int) -> Color {
        let i = (y * width + x) * 4
        return Color(r: pixels[i], g: pixels[i + 1], b: pixels[i + 2], a: pixels[i + 3])
    }
}

/// Reads non-interlaced 8-bit PNG files (grey, grey+alpha, RGB, RGBA), verifying the signature,
/// the IHDR fields, every chunk's CRC, the zlib stream length and the filter bytes.
public enum PNGDecoder {
    public static func decode(_ bytes: [UInt8]) throws -> PNGImage {
        guard bytes.count >= 8, Array(bytes[0..<8]) == PNGEncoder.signature else {
            throw PlotError.invalidPNG("missing PNG signature at offset 0")
        }
        var offset = 8
        var chunkTypes: [String] = []
        var header: (w: Int, h: Int, depth: UInt8, color: UInt8)?
        var idat: [UInt8] = []
        var sawEnd = false
        while offset < bytes.count {
            guard !sawEnd else { throw PlotError.invalidPNG("data after IEND at offset \(offset)") }
            guard offset + 12 <= bytes.count else {
                throw PlotError.invalidPNG("truncated chunk header at offset \(offset)")
            }
            let length = Int(readUInt32(bytes, offset))
            guard length <= Int(Int32.max), offset + 12 + length <= bytes.count else {
                throw PlotError.invalidPNG("chunk at offset \(offset) declares \(length) bytes but the file ends at \(bytes.count)")
            }
            let typeBytes = Array(bytes[(offset + 4)..<(offset + 8)])
            guard typeBytes.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
                throw PlotError.invalidPNG("chunk type at offset \(offset + 4) is not four ASCII letters")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            let body = Array(bytes[(offset + 4)..<(offset + 8 + length)])
            let stored = readUInt32(bytes, offset + 8 + length)
            let computed = PNGEncoder.crc(body)
            guard stored == computed else {
                throw PlotError.invalidPNG("CRC mismatch in \(type) chunk at offset \(offset): stored \(hex(stored)), computed \(hex(computed))")
            }
            let data = Array(body[4...])
            if chunkTypes.isEmpty && type != "IHDR" {
                throw PlotError.invalidPNG("first chunk is \(type), expected IHDR")
            }
            switch type {
            case "IHDR":
                guard header == nil else { throw PlotError.invalidPNG("second IHDR at offset \(offset)") }
                guard length == 13 else { throw PlotError.invalidPNG("IHDR length is \(length), expected 13") }
                header = try parseHeader(data)
            case "IDAT":
                idat += data
            case "IEND":
                sawEnd = true
            case "PLTE":
                throw PlotError.unsupportedPNG("palette images (PLTE at offset \(offset)) are not supported")
            default:
                if typeBytes[0] < 97 { throw PlotError.invalidPNG("unknown critical chunk \(type) at offset \(offset)") }
            }
            chunkTypes.append(type)
            offset += 12 + length
        }
        guard let header else { throw PlotError.invalidPNG("no IHDR chunk") }
        guard sawEnd else { throw PlotError.invalidPNG("no IEND chunk before the end of the file") }
        guard !idat.isEmpty else { throw PlotError.invalidPNG("no IDAT data") }
        let channels: Int
        switch header.color {
        case 0: channels = 1
        case 2: channels = 3
        case 4: channels = 2
        default: channels = 4
        }
        let stride = header.w * channels
        let expected = header.h * (stride + 1)
        let raw = try inflate(idat, expected: expected)
        var filters: [UInt8] = []
        let samples = try unfilter(raw, width: header.w, height: header.h, bpp: channels, filters: &filters)
        var rgba = [UInt8](repeating: 255, count: header.w * header.h * 4)
        for p in 0..<(header.w * header.h) {
            let s = p * channels, d = p * 4
            switch channels {
            case 1: rgba[d] = samples[s]; rgba[d + 1] = samples[s]; rgba[d + 2] = samples[s]
            case 2: rgba[d] = samples[s]; rgba[d + 1] = samples[s]; rgba[d + 2] = samples[s]; rgba[d + 3] = samples[s + 1]
            case 3: rgba[d] = samples[s]; rgba[d + 1] = samples[s + 1]; rgba[d + 2] = samples[s + 2]
            default: for k in 0..<4 { rgba[d + k] = samples[s + k] }
            }
        }
        return PNGImage(width: header.w, height: header.h, bitDepth: header.depth, colorType: header.color,
                        chunkTypes: chunkTypes, filterTypes: filters, inflatedByteCount: raw.count, pixels: rgba)
    }

    static func parseHeader(_ d: [UInt8]) throws -> (w: Int, h: Int, depth: UInt8, color: UInt8) {
        let w = Int(readUInt32(d, 0)), h = Int(readUInt32(d, 4))
        guard w > 0, h > 0, w <= Int(Int32.max), h <= Int(Int32.max) else {
            throw PlotError.invalidPNG("IHDR size \(w)×\(h) is not positive and below 2^31")
        }
        guard w * h <= 1 << 28 else { throw PlotError.unsupportedPNG("IHDR size \(w)×\(h) is too large to decode") }
        let depth = d[8], color = d[9]
        guard [0, 2, 4, 6].contains(color) else {
            throw PlotError.unsupportedPNG("IHDR colour type \(color) (only 0, 2, 4, 6 are supported)")
        }
        guard depth == 8 else { throw PlotError.unsupportedPNG("IHDR bit depth \(depth) (only 8 is supported)") }
        guard d[10] == 0 else { throw PlotError.invalidPNG("IHDR compression method \(d[10]), expected 0") }
        guard d[11] == 0 else { throw PlotError.invalidPNG("IHDR filter method \(d[11]), expected 0") }
        guard d[12] == 0 else { throw PlotError.unsupportedPNG("IHDR interlace method \(d[12]) (only 0 is supported)") }
        return (w, h, depth, color)
    }

    /// Inflates a zlib stream that must produce exactly `expected` bytes.
    static func inflate(_ data: [UInt8], expected: Int) throws -> [UInt8] {
        var dest = [UInt8](repeating: 0, count: expected + 1)
        var destLen = uLong(dest.count)
        let status = uncompress(&dest, &destLen, data, uLong(data.count))
        switch status {
        case Z_OK:
            guard Int(destLen) == expected else {
                throw PlotError.invalidPNG("IDAT stream inflates to \(destLen) bytes, expected height×(1+width×bpp) = \(expected)")
            }
            return Array(dest[0..<expected])
        case Z_BUF_ERROR:
            throw PlotError.invalidPNG("IDAT stream inflates to more than the expected \(expected) bytes, or is truncated")
        default:
            throw PlotError.invalidPNG("IDAT zlib stream is corrupt (zlib status \(status))")
        }
    }

    /// Reverses the per-row filters; `bpp` is bytes per pixel.
    static func unfilter(_ raw: [UInt8], width: Int, height: Int, bpp: Int, filters: inout [UInt8]) throws -> [UInt8] {
        let stride = width * bpp
        var out = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let type = raw[y * (stride + 1)]
            guard type <= 4 else {
                throw PlotError.invalidPNG("row \(y) has filter type \(type), expected 0...4")
            }
            filters.append(type)
            let src = y * (stride + 1) + 1, dst = y * stride, prev = dst - stride
            for i in 0..<stride {
                let x = raw[src + i]
                let a = i >= bpp ? out[dst + i - bpp] : 0
                let b = y > 0 ? out[prev + i] : 0
                let c = (i >= bpp && y > 0) ? out[prev + i - bpp] : 0
                switch type {
                case 0: out[dst + i] = x
                case 1: out[dst + i] = x &+ a
                case 2: out[dst + i] = x &+ b
                case 3: out[dst + i] = x &+ UInt8((Int(a) + Int(b)) / 2)
                default: out[dst + i] = x &+ PNGEncoder.paeth(a, b, c)
                }
            }
        }
        return out
    }

    static func readUInt32(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
    }

    static func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
}
