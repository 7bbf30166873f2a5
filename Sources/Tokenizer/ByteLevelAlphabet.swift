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

    /// Raw bytes of a token text given as UTF-8, and whether every code point was in the alphabet
    /// (code points outside it keep their UTF-8 bytes).
    static func decode(utf8 text: [UInt8]) -> (bytes: [UInt8], strict: Bool) {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var strict = true
        var i = 0
        while i < text.count {
            let lead = text[i]
            if lead < 0x80 {
                let b = byteForScalar[Int(lead)]
                if b >= 0 { out.append(UInt8(b)) } else { out.append(lead); strict = false }
                i += 1
                continue
            }
            let n = min(SentencePieceModel.utf8Length(lead), text.count - i)
            if n == 2 {
                let v = Int(lead & 0x1F) << 6 | Int(text[i + 1] & 0x3F)
                if v < byteForScalar.count, byteForScalar[v] >= 0 {
                    out.append(UInt8(byteForScalar[v]))
                    i += 2
                    continue
                }
            }
            out.append(contentsOf: text[i..<(i + n)])
            strict = false
            i += n
        }
        return (out, strict)
    }

    /// The alphabet spelling (UTF-8) of raw bytes.
    static func encode(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count * 2)
        for b in raw {
            let v = scalarForByte[Int(b)]
            if v < 0x80 {
                out.append(UInt8(v))
            } else {
                out.append(UInt8(0xC0 | (v >> 6)))
                out.append(UInt8(0x80 | (v & 0x3F)))
            }
        }
        return out
    }
}
