/// Byte-level BPE pre-tokenizers (`tokenizer.ggml.pre`), each a sequence of patterns applied in turn.
public enum PreTokenizerKind: String, Sendable, CaseIterable {
    case gpt2 = "gpt-2"
    case smollm
    case llama3 = "llama-bpe"
    case qwen2
    case `default`

    /// Metadata names accepted for each kind (aliases from llama.cpp).
    static let aliases: [String: PreTokenizerKind] = [
        "gpt-2": .gpt2, "phi-2": .gpt2, "roberta-bpe": .gpt2,
        "smollm": .smollm, "starcoder": .smollm, "refact": .smollm, "command-r": .smollm,
        "codeshell": .smollm, "exaone": .smollm, "minerva-7b": .smollm,
        "llama-bpe": .llama3, "llama3": .llama3, "llama-v3": .llama3, "falcon3": .llama3,
        "qwen2": .qwen2, "deepseek-r1-qwen": .qwen2,
        "default": .default,
    ]

    static var knownNames: [String] { Array(aliases.keys) }

    /// The kind for a metadata name; throws for unknown names.
    public init(metadataName: String) throws {
        guard let kind = PreTokenizerKind.aliases[metadataName] else {
            throw TokenizerError.unsupportedPreTokenizer(metadataName)
        }
        self = kind
    }

    var scanners: [any PatternScanner] {
        switch self {
        case .gpt2: return [GPT2Scanner()]
        case .smollm: return [SingleNumberScanner(), GPT2Scanner()]
        case .llama3: return [Llama3Scanner(maxDigits: 3)]
        case .qwen2: return [Llama3Scanner(maxDigits: 1)]
        case .default:
            return [PunctuationRunScanner(), GPT2Scanner(), NumberRunScanner(), AsciiDigitTripleScanner()]
        }
    }

    /// Decoded text gets llama.cpp's `clean_spaces` post-pass.
    var cleansSpaces: Bool { self != .smollm && self != .qwen2 }
    /// A pre-token that is itself a vocabulary entry is emitted without merging.
    var ignoresMerges: Bool { self == .llama3 }
    /// Default for `add_bos` when the metadata does not say.
    var addsBOSByDefault: Bool { self == .llama3 }
}

/// Splits text into pre-tokens (ranges of code points) with a kind's pattern sequence.
struct PreTokenizer: Sendable {
    let scanners: [any PatternScanner]

    init(kind: PreTokenizerKind) { scanners = kind.scanners }

    func split(_ text: ClassifiedText, _ range: Range<Int>) -> [Range<Int>] {
        var pieces = [range]
        for scanner in scanners {
            var next: [Range<Int>] = []
            next.reserveCapacity(pieces.count * 2)
            for piece in pieces { scanner.split(text, piece, into: &next) }
            pieces = next
        }
        return pieces
    }
}
