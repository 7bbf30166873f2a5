/// Hand-written equivalents of the pre-tokenizer regexes. Each scanner splits `range` of a text
/// into pieces the way `unicode_regex_split` does: the matches of its pattern **and** the
/// unmatched gaps between them, in order, covering the whole range.
protocol PatternScanner: Sendable {
    /// End of the match starting at `start` (leftmost-first alternation), or nil for no match.
    func match(_ text: ClassifiedText, at start: Int, end: Int) -> Int?
}

extension PatternScanner {
    func split(_ text: ClassifiedText, _ range: Range<Int>, into pieces: inout [Range<Int>]) {
        var gapStart = range.lowerBound
        var i = range.lowerBound
        while i < range.upperBound {
            if let matchEnd = match(text, at: i, end: range.upperBound), matchEnd > i {
                if gapStart < i { pieces.append(gapStart..<i) }
                pieces.append(i..<matchEnd)
                i = matchEnd
                gapStart = i
            } else {
                i += 1
            }
        }
        if gapStart < range.upperBound { pieces.append(gapStart..<range.upperBound) }
    }
}

/// Shared pieces of the GPT-2 and Llama-3 patterns.
enum PatternParts {
    /// `'s|'t|'re|'ve|'m|'ll|'d`, optionally ASCII case-insensitive.
    @inline(__always)
    static func contraction(_ text: ClassifiedText, at i: Int, end: Int, caseInsensitive: Bool) -> Int? {
        guard text.scalars[i] == 0x27, i + 1 < end else { return nil }
        // Simple case folding as the regex engine does it: ASCII, and U+017F LONG S folds to "s".
        func lower(_ v: UInt32) -> UInt32 {
            guard caseInsensitive else { return v }
            if v >= 0x41 && v <= 0x5A { return v + 32 }
            return v == 0x17F ? 0x73 : v
        }
        let a = lower(text.scalars[i + 1])
        switch a {
        case 0x73, 0x74, 0x6D, 0x64: return i + 2  // s t m d
        case 0x72, 0x76:  // r v -> re ve
            if i + 2 < end, lower(text.scalars[i + 2]) == 0x65 { return i + 3 }
        case 0x6C:  // l -> ll
            if i + 2 < end, lower(text.scalars[i + 2]) == 0x6C { return i + 3 }
        default: break
        }
        return nil
    }

    @inline(__always)
    static func run(_ i: Int, _ end: Int, while predicate: (Int) -> Bool) -> Int {
        var j = i
        while j < end && predicate(j) { j += 1 }
        return j
    }

    /// `\s+(?!\S)` then `\s+` at a whitespace character: a run at the end of the text is whole; a run
    /// of two or more before a non-space leaves its last character; a single one is taken alone.
    @inline(__always)
    static func whitespace(_ text: ClassifiedText, at i: Int, end: Int) -> Int {
        let j = run(i, end) { text.isSpace($0) }
        if j == end { return j }
        return j - i >= 2 ? j - 1 : j
    }
}

/// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
struct GPT2Scanner: PatternScanner {
    func match(_ text: ClassifiedText, at i: Int, end: Int) -> Int? {
        if let e = PatternParts.contraction(text, at: i, end: end, caseInsensitive: false) { return e }
        // Optional leading space (U+0020 only) before a letter, number or "other" run.
        var start = i
        if text.scalars[i] == 0x20, i + 1 < end, !text.isSpace(i + 1) { start = i + 1 }
        if text.isLetter(start) { return PatternParts.run(start, end) { text.isLetter($0) } }
        if text.isNumber(start) { return PatternParts.run(start, end) { text.isNumber($0) } }
        if text.isOther(start) { return PatternParts.run(start, end) { text.isOther($0) } }
        return PatternParts.whitespace(text, at: i, end: end)
    }
}

/// Llama 3 (`maxDigits` 3) and Qwen2 (`maxDigits` 1):
/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
struct Llama3Scanner: PatternScanner {
    let maxDigits: Int

    func match(_ text: ClassifiedText, at i: Int, end: Int) -> Int? {
        if let e = PatternParts.contraction(text, at: i, end: end, caseInsensitive: true) { return e }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if text.isLetter(i) { return PatternParts.run(i, end) { text.isLetter($0) } }
        if !text.isNewline(i), !text.isNumber(i), i + 1 < end, text.isLetter(i + 1) {
            return PatternParts.run(i + 1, end) { text.isLetter($0) }
        }
        // \p{N}{1,3}
        if text.isNumber(i) {
            var j = i
            while j < end && j - i < maxDigits && text.isNumber(j) { j += 1 }
            return j
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        var start = i
        if text.scalars[i] == 0x20, i + 1 < end, text.isOther(i + 1) { start = i + 1 }
        if text.isOther(start) {
            let j = PatternParts.run(start, end) { text.isOther($0) }
            return PatternParts.run(j, end) { text.isNewline($0) }
        }
        guard text.isSpace(i) else { return nil }
        // \s*[\r\n]+ : up to the last newline of the whitespace run.
        let runEnd = PatternParts.run(i, end) { text.isSpace($0) }
        var k = runEnd - 1
        while k >= i && !text.isNewline(k) { k -= 1 }
        if k >= i { return k + 1 }
        return PatternParts.whitespace(text, at: i, end: end)
    }
}

/// `\p{N}`: every number character is its own piece.
struct SingleNumberScanner: PatternScanner {
    func match(_ text: ClassifiedText, at i: Int, end: Int) -> Int? {
        text.isNumber(i) ? i + 1 : nil
    }
}

/// `\p{N}+`
struct NumberRunScanner: PatternScanner {
    func match(_ text: ClassifiedText, at i: Int, end: Int) -> Int? {
        text.isNumber(i) ? PatternParts.run(i, end) { text.isNumber($0) } : nil
    }
}

/// `[0-9][0-9][0-9]`
struct AsciiDigitTripleScanner: PatternScanner {
    func match(_ text: ClassifiedText, at i: Int, end: Int) -> Int? {
        guard i + 3 <= end else { return nil }
        for k in i..<(i + 3) where !(0x30...0x39).contains(text.scalars[k]) { return nil }
        return i + 3
    }
}

/// `[\p{P}\$\+<=>\^~\|]+`
struct PunctuationRunScanner: PatternScanner {
    func match(_ text: ClassifiedText, at i: Int, end: Int) -> Int? {
        func accepts(_ k: Int) -> Bool {
            if text.classes[k].contains(.punctuation) { return true }
            switch text.scalars[k] {
            case 0x24, 0x2B, 0x3C, 0x3D, 0x3E, 0x5E, 0x7E, 0x7C: return true  // $ + < = > ^ ~ |
            default: return false
            }
        }
        return accepts(i) ? PatternParts.run(i, end, while: accepts) : nil
    }
}
