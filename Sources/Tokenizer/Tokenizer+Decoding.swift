extension Tokenizer {
    /// Text of a token sequence. Invalid UTF-8 (e.g. a cut multi-byte character) becomes U+FFFD.
    ///
    /// Like llama.cpp's `detokenize`: control/unknown/unused tokens are dropped when `skipSpecial`;
    /// SentencePiece vocabularies with a space prefix lose one leading space; byte-level BPE
    /// vocabularies with `clean_spaces` (gpt-2, llama-bpe, default) remove the space before
    /// `? ! . ,` and before `'s 'm 're 've`, and turn `" ' "` into `"'"`.
    public func decode(_ ids: [Int32], skipSpecial: Bool = true) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            if skipSpecial && isSpecial(id) { continue }
            bytes.append(contentsOf: piece(id))
        }
        if case .sentencePiece = engine, addSpacePrefix, bytes.first == 0x20 { bytes.removeFirst() }
        if cleanSpaces { bytes = Self.cleanSpaces(bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// llama.cpp's three `clean_spaces` passes over decoded bytes.
    static func cleanSpaces(_ input: [UInt8]) -> [UInt8] {
        let space: UInt8 = 0x20, quote: UInt8 = 0x27
        // 1: " ?", " !", " .", " ,"  -> drop the space.
        var a: [UInt8] = []
        a.reserveCapacity(input.count)
        for x in input {
            if let last = a.last, last == space, x == 0x3F || x == 0x21 || x == 0x2E || x == 0x2C { a.removeLast() }
            a.append(x)
        }
        // 2: " ' " -> "'".
        var b: [UInt8] = []
        b.reserveCapacity(a.count)
        var i = 0
        while i < a.count {
            let x = a[i]
            if x == quote, i > 0, i + 1 < a.count, a[i - 1] == space, a[i + 1] == space, b.last == space {
                b.removeLast()
                b.append(x)
                i += 2
                continue
            }
            b.append(x)
            i += 1
        }
        // 3: " 's", " 'm", " 're", " 've" -> drop the space.
        var c: [UInt8] = []
        c.reserveCapacity(b.count)
        for (j, x) in b.enumerated() {
            if x == quote, c.last == space, j + 1 < b.count {
                let x1 = b[j + 1]
                let x2: UInt8 = j + 2 < b.count ? b[j + 2] : 0
                if x1 == 0x73 || x1 == 0x6D || ((x1 == 0x72 || x1 == 0x76) && x2 == 0x65) { c.removeLast() }
            }
            c.append(x)
        }
        return c
    }
}
