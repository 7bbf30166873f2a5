import CZlib

/// Writes 8-bit RGBA PNG files: signature, IHDR, one IDAT (zlib via the system library), IEND.
/// Each row uses the PNG filter (None/Sub/Up/Average/Paeth) with the smallest sum of absolute
/// filtered values, the usual heuristic for good compression.
public enum PNGEncoder {
    public static let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]

    /// Encodes a canvas.
    public static func encode(_ canvas: Canvas, compressionLevel: Int = 9) throws -> [UInt8] {
        try encode(width: canvas.width, height: canvas.height, rgba: canvas.pixels, compressionLevel: compressionLevel)
    }

    /// Encodes `width × height` RGBA8 pixels (row-major, `width × height × 4` bytes).
    public static func encode(width: Int, height: Int, rgba: [UInt8], compressionLevel: Int = 9) throws -> [UInt8] {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw PlotError.invalidInput("PNG size \(width)×\(height) must be positive and below 2^31")
        }
        guard rgba.count == width * height * 4 else {
            throw PlotError.invalidInput("PNG pixel buffer has \(rgba.count) bytes, expected \(width)×\(height)×4 = \(width * height * 4)")
        }
        var out = signature
        var ihdr: [UInt8] = []
        appendUInt32(&ihdr, UInt32(width))
        appendUInt32(&ihdr, UInt32(height))
        ihdr += [8, 6, 0, 0, 0]  // bit depth 8, colour type 6 (RGBA), deflate, adaptive filtering, no interlace
        appendChunk(&out, "IHDR", ihdr)
        let raw = filterRows(width: width, height: height, rgba: rgba)
        appendChunk(&out, "IDAT", try deflate(raw, level: compressionLevel))
        appendChunk(&out, "IEND", [])
        return out
    }

    /// The filtered scanlines: per row, a filter-type byte followed by `width × 4` filtered bytes.
    static func filterRows(width: Int, height: Int, rgba: [UInt8]) -> [UInt8] {
        let stride = width * 4
        var out = [UInt8]()
        out.reserveCapacity(height * (stride + 1))
        var candidate = [UInt8](repeating: 0, count: stride)
        var best = [UInt8](repeating: 0, count: stride)
        let zeroRow = [UInt8](repeating: 0, count: stride)
        rgba.withUnsafeBufferPointer { px in
            for y in 0..<height {
                let row = y * stride, prev = y > 0 ? (y - 1) * stride : -1
                var bestType: UInt8 = 0, bestScore = Int.max
                for type in UInt8(0)...4 {
                    var score = 0
                    for i in 0..<stride {
                        let x = px[row + i]
                        let a = i >= 4 ? px[row + i - 4] : 0
                        let b = prev >= 0 ? px[prev + i] : zeroRow[i]
                        let c = (i >= 4 && prev >= 0) ? px[prev + i - 4] : 0
                        let f: UInt8
                        switch type {
                        case 0: f = x
                        case 1: f = x &- a
                        case 2: f = x &- b
                        case 3: f = x &- UInt8((Int(a) + Int(b)) / 2)
                        default: f = x &- paeth(a, b, c)
                        }
                        candidate[i] = f
                        score += f < 128 ? Int(f) : 256 - Int(f)
                    }
                    if score < bestScore { bestScore = score; bestType = type; swap(&best, &candidate) }
                }
                out.append(bestType)
                out += best
            }
        }
        return out
    }

    /// The Paeth predictor of the PNG specification.
    @inline(__always)
    static func paeth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let p = Int(a) + Int(b) - Int(c)
        let pa = abs(p - Int(a)), pb = abs(p - Int(b)), pc = abs(p - Int(c))
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }

    /// A zlib stream (RFC 1950) of `data`.
    static func deflate(_ data: [UInt8], level: Int) throws -> [UInt8] {
        var destLen = compressBound(uLong(data.count))
        var dest = [UInt8](repeating: 0, count: Int(destLen))
        let status = compress2(&dest, &destLen, data, uLong(data.count), Int32(min(max(level, 0), 9)))
        guard status == Z_OK else { throw PlotError.zlib("compress2 failed with status \(status)") }
        return Array(dest[0..<Int(destLen)])
    }

    /// CRC-32 (as used by PNG) of the bytes.
    public static func crc(_ bytes: [UInt8]) -> UInt32 {
        UInt32(crc32(0, bytes, uInt(bytes.count)))
    }

    static func appendUInt32(_ out: inout [UInt8], _ v: UInt32) {
        out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func appendChunk(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
        appendUInt32(&out, UInt32(data.count))
        let body = Array(type.utf8) + data
        out += body
        appendUInt32(&out, crc(body))
    }
}
