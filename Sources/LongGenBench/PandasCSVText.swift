/// How `pandas.read_csv(header=None)` turns CSV cells into the text the reference script prints:
/// default NA strings become `nan`, and a column whose every non-NA cell is numeric or boolean is typed,
/// so `007` prints `7`, `1e3` prints `1000.0`, an integer column with a gap prints `1.0`/`nan`, `true` prints `True`.
public enum PandasCSVText {
    /// The printed text of every cell, column by column (`rows` are equally wide).
    public static func render(_ rows: [[String]]) -> [[String]] {
        guard let width = rows.first?.count else { return [] }
        var out = rows.map { $0.map { MMLUSource.pandasNAStrings.contains($0) ? "nan" : $0 } }
        for c in 0..<width {
            let cells = rows.map { $0[c] }
            let isNA = cells.map { MMLUSource.pandasNAStrings.contains($0) }
            let values = cells.indices.filter { !isNA[$0] }.map { cells[$0].trimmingCharacters(in: .whitespaces) }
            guard !values.isEmpty else { continue }
            let hasNA = isNA.contains(true)
            if values.allSatisfy(isInteger), values.allSatisfy({ Int64($0.hasPrefix("+") ? String($0.dropFirst()) : $0) != nil }) {
                for r in rows.indices where !isNA[r] {
                    let v = cells[r].trimmingCharacters(in: .whitespaces)
                    let i = Int64(v.hasPrefix("+") ? String(v.dropFirst()) : v)!
                    out[r][c] = hasNA ? pythonFloat(Double(i)) : String(i)
                }
            } else if values.allSatisfy(isInteger) {
                continue   // integers beyond int64: pandas keeps the text (object column)
            } else if let doubles = Optional(values.compactMap(parseFloat)), doubles.count == values.count {
                for r in rows.indices where !isNA[r] {
                    out[r][c] = pythonFloat(parseFloat(cells[r].trimmingCharacters(in: .whitespaces))!)
                }
            } else if !hasNA, values.allSatisfy({ boolValue($0) != nil }) {
                for r in rows.indices { out[r][c] = boolValue(cells[r].trimmingCharacters(in: .whitespaces))! ? "True" : "False" }
            }
        }
        return out
    }

    static func isInteger(_ s: String) -> Bool {
        var t = Substring(s)
        if t.hasPrefix("+") || t.hasPrefix("-") { t = t.dropFirst() }
        return !t.isEmpty && t.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// A float as the C parser reads it: decimal with optional exponent, or inf/infinity.
    static func parseFloat(_ s: String) -> Double? {
        let lower = s.lowercased()
        var body = Substring(lower)
        var sign = 1.0
        if body.hasPrefix("+") { body = body.dropFirst() } else if body.hasPrefix("-") { body = body.dropFirst(); sign = -1 }
        if body == "inf" || body == "infinity" { return sign * .infinity }
        guard lower.range(of: #"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?$"#, options: .regularExpression) != nil else {
            return nil
        }
        return Double(lower)
    }

    static func boolValue(_ s: String) -> Bool? {
        switch s {
        case "True", "TRUE", "true": return true
        case "False", "FALSE", "false": return false
        default: return nil
        }
    }

    /// Python's `str(float)`: shortest round-trip digits, `.0` for integral values, `inf`.
    static func pythonFloat(_ d: Double) -> String {
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        return "\(d)"
    }
}

import Foundation
