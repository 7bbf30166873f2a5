/// Unicode classes the pre-tokenizer patterns use: `\p{L}`, `\p{N}`, `\s` (White_Space) and `\p{P}`.
struct CharacterClass: OptionSet, Sendable {
    let rawValue: UInt8
    static let letter = CharacterClass(rawValue: 1)
    static let number = CharacterClass(rawValue: 2)
    static let whitespace = CharacterClass(rawValue: 4)
    static let punctuation = CharacterClass(rawValue: 8)

    private static let ascii: [CharacterClass] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

    /// Class of a code point (ASCII from a table, others from the Unicode properties).
    @inline(__always)
    static func of(_ value: UInt32) -> CharacterClass {
        if value < 128 { return ascii[Int(value)] }
        guard let scalar = Unicode.Scalar(value) else { return [] }
        return classify(scalar)
    }

    private static func classify(_ scalar: Unicode.Scalar) -> CharacterClass {
        var result: CharacterClass = []
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            result.insert(.number)
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            result.insert(.punctuation)
        default:
            break
        }
        if scalar.properties.isWhitespace { result.insert(.whitespace) }
        return result
    }
}

/// Code points of a text with their classes, the input every scanner works on.
struct ClassifiedText {
    let scalars: [UInt32]
    let classes: [CharacterClass]

    init(_ scalars: [UInt32]) {
        self.scalars = scalars
        self.classes = scalars.map(CharacterClass.of)
    }

    @inline(__always) func isLetter(_ i: Int) -> Bool { classes[i].contains(.letter) }
    @inline(__always) func isNumber(_ i: Int) -> Bool { classes[i].contains(.number) }
    @inline(__always) func isSpace(_ i: Int) -> Bool { classes[i].contains(.whitespace) }
    /// `[^\s\p{L}\p{N}]`
    @inline(__always) func isOther(_ i: Int) -> Bool {
        classes[i].isDisjoint(with: [.letter, .number, .whitespace])
    }
    @inline(__always) func isNewline(_ i: Int) -> Bool { scalars[i] == 0x0A || scalars[i] == 0x0D }
}
