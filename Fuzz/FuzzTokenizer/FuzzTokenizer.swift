import Foundation
import FuzzSupport
import Tokenizer

/// The tokenizer under test: the default model's (SmolLM2, byte-level BPE with the `smollm`
/// pre-tokenizer) or the committed fixture vocabulary of the same kind (`FuzzInput.tokenizerGGUFPath`).
/// Neither decodes with `clean_spaces`, so the round trip below is exact up to bytes the vocabulary
/// cannot express.
let tokenizerUnderTest: Tokenizer = {
    let path = FuzzInput.tokenizerGGUFPath()
    do {
        let t = try Tokenizer(ggufPath: path)
        FileHandle.standardError.write(Data("FuzzTokenizer: tokenizer of \(path) (\(t.vocabularySize) tokens)\n".utf8))
        return t
    } catch {
        fatalError("FuzzTokenizer: cannot build the tokenizer of \(path): \(error)")
    }
}()

/// Bytes that have a single-byte token. Byte-level BPE starts from one symbol per byte; a byte without a
/// token (SmolLM2 has none for 0x04 0x06 0x13 0x14 0x16 0x1D 0xC0 0xC1 0xF1 0xF2 0xF5...0xFF) is dropped by
/// the encoder, as llama.cpp's is. The fixture vocabulary has all 256.
let representableBytes: [Bool] = {
    var has = [Bool](repeating: false, count: 256)
    for id in 0..<Int32(tokenizerUnderTest.vocabularySize) {
        let piece = tokenizerUnderTest.piece(id)
        if piece.count == 1, !tokenizerUnderTest.isSpecial(id) { has[Int(piece[0])] = true }
    }
    return has
}()

/// One libFuzzer input (`LLVMFuzzerTestOneInput`): arbitrary bytes, read as UTF-8 (invalid sequences become U+FFFD, as `String` does
/// for any text the engine receives). Properties, each a trap when violated:
/// 1. every id from `encode` is inside the vocabulary;
/// 2. byte-level BPE without `clean_spaces` is lossless up to unrepresentable bytes:
///    `decode(encode(s, parseSpecial: p), skipSpecial: false) == String(decoding: s.utf8 without the
///    bytes that have no token)` for both `p` (with `parseSpecial` special-token text comes back as the
///    token's text); for a vocabulary with all 256 byte tokens this is `== s`;
/// 3. streaming the ids through `StreamingDecoder` and flushing gives the same text as `decode`.
func fuzzTokenizer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    let tokenizer = tokenizerUnderTest
    let expected = String(decoding: text.utf8.filter { representableBytes[Int($0)] }, as: UTF8.self)
    for parseSpecial in [false, true] {
        let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: parseSpecial)
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= tokenizer.vocabularySize }) {
            FuzzInput.violated("encode returns ids inside the vocabulary", "id \(bad) for \(text.debugDescription)")
        }
        let decoded = tokenizer.decode(ids, skipSpecial: false)
        if decoded != expected {
            FuzzInput.violated("decode(encode(s, parseSpecial: \(parseSpecial)), skipSpecial: false) == s minus unrepresentable bytes",
                               "input \(text.debugDescription)\nids \(ids)\ndecoded \(decoded.debugDescription)")
        }
        var stream = StreamingDecoder(tokenizer: tokenizer, skipSpecial: false)
        var streamed = ""
        for id in ids { streamed += stream.append(id) }
        streamed += stream.flush()
        if streamed != decoded {
            FuzzInput.violated("streamed text == decode", "input \(text.debugDescription)\nstreamed \(streamed.debugDescription)")
        }
    }
    return 0
}
