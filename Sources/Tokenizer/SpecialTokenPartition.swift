/// A piece of input text after special-token recognition: raw text (a range of code points) or a token.
enum TextFragment: Equatable {
    case text(Range<Int>)
    case token(Int32)
}

/// Special-token recognition in text (`tokenizer_st_partition`): every CONTROL, USER_DEFINED and
/// UNKNOWN token, longest text first; each still-raw fragment is split around exact occurrences.
struct SpecialTokenPartition: Sendable {
    struct Entry: Sendable {
        let scalars: [UInt32]
        let id: Int32
        /// CONTROL and UNKNOWN tokens are only recognised when `parseSpecial` is true.
        let needsParseSpecial: Bool
    }

    let entries: [Entry]

    init(texts: [String], types: [TokenType]) {
        var list: [Entry] = []
        for (id, type) in types.enumerated() where type == .control || type == .userDefined || type == .unknown {
            let scalars = texts[id].unicodeScalars.map(\.value)
            guard !scalars.isEmpty else { continue }
            list.append(Entry(scalars: scalars, id: Int32(id), needsParseSpecial: type != .userDefined))
        }
        entries = list.sorted { a, b in
            a.scalars.count != b.scalars.count ? a.scalars.count > b.scalars.count : a.id < b.id
        }
    }

    func partition(_ text: [UInt32], parseSpecial: Bool) -> [TextFragment] {
        guard !text.isEmpty else { return [] }
        var fragments: [TextFragment] = [.text(0..<text.count)]
        for entry in entries where parseSpecial || !entry.needsParseSpecial {
            let pattern = entry.scalars
            let first = pattern[0]
            var next: [TextFragment] = []
            var changed = false
            for fragment in fragments {
                guard case let .text(range) = fragment, range.count >= pattern.count else {
                    next.append(fragment)
                    continue
                }
                var cursor = range.lowerBound
                var i = range.lowerBound
                let last = range.upperBound - pattern.count
                while i <= last {
                    if text[i] == first && Self.matches(text, at: i, pattern) {
                        if cursor < i { next.append(.text(cursor..<i)) }
                        next.append(.token(entry.id))
                        i += pattern.count
                        cursor = i
                        changed = true
                    } else {
                        i += 1
                    }
                }
                if cursor < range.upperBound { next.append(.text(cursor..<range.upperBound)) }
            }
            if changed { fragments = next }
        }
        return fragments
    }

    @inline(__always)
    private static func matches(_ text: [UInt32], at i: Int, _ pattern: [UInt32]) -> Bool {
        for k in 1..<pattern.count where text[i + k] != pattern[k] { return false }
        return true
    }
}
