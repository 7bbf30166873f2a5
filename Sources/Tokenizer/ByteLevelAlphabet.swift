/// GPT-2's reversible byte-to-unicode table: bytes 0x21–0x7E, 0xA1–0xAC and 0xAE–0xFF map to the
/// same code point; the other 68 bytes map, in increasing order, to U+0100, U+0101, ...
enum ByteLevelAlphabet {
    /// Code point standing for each byte.
    static let scalarForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// Byte for a code point of the alphabet, nil for code points outside it (indexed up to U+0143).
    static let byteForScalar: [Int16] = {
        var inverse = [Int16](repeating: -1, count: 0x144)
        for (b, s) in scalarForByte.enumerated() { inverse[Int(s)] = Int16(b) }
        return inverse
    }()

    @inline(__always)
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = Int(scalar.value)
        guard v < byteForScalar.count else { return nil }
        let b = byteForScalar[v]
        return b < 0 ? nil : UInt8(b)
    }

    /// Raw bytes of a byte-level token text; nil if some code point is outside the alphabet.
    static func decodeStrict(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars {
            guard let b = byte(for: s) else { return nil }
            out.append(b)
        }
        return out
    }

    /// Raw bytes of a token text for display: code points outside the alphabet keep their UTF-8 bytes.
    static func decodeLenient(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars {
            if let b = byte(for: s) {
                out.append(b)
            } else {
                out.append(contentsOf: String(s).utf8)
            }
        }
        return out
    }
}
