extension Tokenizer {
    /// Token ids of `text`.
    /// - Parameters:
    ///   - addSpecial: prepend BOS / append EOS when the vocabulary asks for them (`addBOS`, `addEOS`).
    ///   - parseSpecial: recognise the text of control tokens (e.g. `<|im_start|>`) as those tokens;
    ///     user-defined tokens are always recognised.
    public func encode(_ text: String, addSpecial: Bool = false, parseSpecial: Bool = true) -> [Int32] {
        let scalars = text.unicodeScalars.map(\.value)
        let fragments = specials.partition(scalars, parseSpecial: parseSpecial)
        var output: [Int32] = []
        output.reserveCapacity(scalars.count / 3 + 2)
        if addSpecial, addBOS, let bosID { output.append(bosID) }
        switch engine {
        case let .bytePair(model, preTokenizer, kind):
            let classified = ClassifiedText(scalars)
            var workspace = BytePairModel.Workspace()
            var bytes: [UInt8] = []
            for fragment in fragments {
                switch fragment {
                case let .token(id):
                    output.append(id)
                case let .text(range):
                    for piece in preTokenizer.split(classified, range) {
                        bytes.removeAll(keepingCapacity: true)
                        for i in piece { Self.appendUTF8(scalars[i], to: &bytes) }
                        model.encode(bytes, ignoreMerges: kind.ignoresMerges, workspace: &workspace, output: &output)
                    }
                }
            }
        case let .sentencePiece(model):
            var previousWasSpecial = true
            var bytes: [UInt8] = []
            for fragment in fragments {
                switch fragment {
                case let .token(id):
                    output.append(id)
                    previousWasSpecial = true
                case let .text(range):
                    bytes.removeAll(keepingCapacity: true)
                    if addSpacePrefix && previousWasSpecial { bytes.append(contentsOf: [0xE2, 0x96, 0x81]) }
                    for i in range {
                        if scalars[i] == 0x20 {
                            bytes.append(contentsOf: [0xE2, 0x96, 0x81])  // "▁"
                        } else {
                            Self.appendUTF8(scalars[i], to: &bytes)
                        }
                    }
                    model.encode(bytes, output: &output)
                    previousWasSpecial = false
                }
            }
        }
        if addSpecial, addEOS, let eosID { output.append(eosID) }
        return output
    }

    @inline(__always)
    static func appendUTF8(_ v: UInt32, to bytes: inout [UInt8]) {
        switch v {
        case 0..<0x80:
            bytes.append(UInt8(v))
        case 0x80..<0x800:
            bytes.append(UInt8(0xC0 | (v >> 6)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            bytes.append(UInt8(0xE0 | (v >> 12)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        default:
            bytes.append(UInt8(0xF0 | (v >> 18)))
            bytes.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}
