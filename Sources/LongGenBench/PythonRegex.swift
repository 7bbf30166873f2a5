import Foundation

/// Python `re` patterns run on NSRegularExpression. ICU and Python differ on `.` (ICU's excludes
/// `\r`, U+0085, U+2028, U+2029 as well as `\n`) and on `\s` (Python's includes U+001C–U+001F), so patterns
/// here spell those out as explicit classes; `\d` (Unicode Nd in both) and lazy quantifiers behave alike.
public struct PythonRegex: @unchecked Sendable {
    /// Python's `\s` for `str` patterns (`str.isspace()`).
    public static let space = #"[\t\n\x{0B}\x{0C}\r\x{1C}-\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]"#
    /// Python's `.` without DOTALL: anything but `\n`.
    public static let dotNoNewline = #"[^\n]"#
    /// Python's `.` with DOTALL: anything.
    public static let dotAll = #"[\s\S]"#

    let regex: NSRegularExpression

    /// Compiles an ICU pattern already written with the explicit classes above.
    public init(_ pattern: String) {
        // Patterns are compile-time constants of this module; a failure is a programming error.
        regex = try! NSRegularExpression(pattern: pattern, options: [])
    }

    /// All non-overlapping matches, as Python's `re.finditer`: the captured groups of each (nil when a group
    /// did not take part).
    public func matches(in text: String) -> [[String?]] {
        let ns = text as NSString
        return regex.matches(in: text, options: [], range: NSRange(location: 0, length: ns.length)).map { m in
            (1..<max(1, m.numberOfRanges)).map { g in
                let r = m.range(at: g)
                return r.location == NSNotFound ? nil : ns.substring(with: r)
            }
        }
    }

    /// All matches with the UTF-16 range of the whole match.
    public func matchRanges(in text: String) -> [(range: NSRange, groups: [String?])] {
        let ns = text as NSString
        return regex.matches(in: text, options: [], range: NSRange(location: 0, length: ns.length)).map { m in
            (m.range, (1..<max(1, m.numberOfRanges)).map { g in
                let r = m.range(at: g)
                return r.location == NSNotFound ? nil : ns.substring(with: r)
            })
        }
    }

    /// The first match's groups (`re.search`), or nil.
    public func firstMatch(in text: String) -> [String?]? {
        let ns = text as NSString
        guard let m = regex.firstMatch(in: text, options: [], range: NSRange(location: 0, length: ns.length)) else {
            return nil
        }
        return (1..<max(1, m.numberOfRanges)).map { g in
            let r = m.range(at: g)
            return r.location == NSNotFound ? nil : ns.substring(with: r)
        }
    }

    /// The text of every whole match (`re.findall` for a pattern without groups).
    public func wholeMatches(in text: String) -> [String] {
        let ns = text as NSString
        return regex.matches(in: text, options: [], range: NSRange(location: 0, length: ns.length)).map {
            ns.substring(with: $0.range)
        }
    }
}
