/// Python `str` behaviours the reference scripts rely on.
public enum PythonText {
    /// `str.isspace()` for one scalar: bidi class WS/B/S or category Zs.
    public static func isSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `str.strip()` with no argument.
    public static func strip(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var lo = 0, hi = scalars.count
        while lo < hi, isSpace(scalars[lo]) { lo += 1 }
        while hi > lo, isSpace(scalars[hi - 1]) { hi -= 1 }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[lo..<hi])
        return String(out)
    }

    /// `str.split(sep)` for a non-empty separator (keeps empty pieces), compared by Unicode scalars.
    public static func split(_ text: String, separator: String) -> [String] {
        let t = Array(text.unicodeScalars), sep = Array(separator.unicodeScalars)
        var pieces: [String] = []
        var start = 0, i = 0
        while i + sep.count <= t.count {
            if t[i..<(i + sep.count)].elementsEqual(sep) {
                pieces.append(scalarString(t[start..<i]))
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        pieces.append(scalarString(t[start..<t.count]))
        return pieces
    }

    /// Text read in Python's default universal-newline mode: `\r\n` and `\r` become `\n`.
    public static func universalNewlines(_ text: String) -> String {
        guard text.unicodeScalars.contains("\r") else { return text }
        var out = String.UnicodeScalarView()
        var previousCR = false
        for s in text.unicodeScalars {
            if s == "\r" {
                out.append("\n")
                previousCR = true
            } else {
                if !(s == "\n" && previousCR) { out.append(s) }
                previousCR = false
            }
        }
        return String(out)
    }

    static func scalarString(_ slice: ArraySlice<Unicode.Scalar>) -> String {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: slice)
        return String(v)
    }
}
