import FuzzSupport
import GGUF
import Tokenizer

/// One libFuzzer input (`LLVMFuzzerTestOneInput`): the input is a whole GGUF file. It is written to a scratch file and opened the way
/// the engine opens models (`GGUFFile(path:)`: header, metadata, tensor table, data-section checks).
/// A file that opens is then used as the engine would use it: one row of every tensor is dequantized
/// (the reader promised the data lies inside the mapping), and the tokenizer is built from its metadata.
/// Errors are fine; a crash, trap, leak or sanitizer report is a finding.
func fuzzGGUF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard size > 0 else { return 0 }  // an empty file is rejected before parsing (tested in GGUFTests)
    let path = FuzzInput.scratchPath("model.gguf")
    FuzzInput.store(bytes, to: path)
    guard let file = try? GGUFFile(path: path) else { return 0 }
    for t in file.tensors {
        let buffer = file.bytes(t)
        guard buffer.count == t.byteCount, t.dataOffset + t.byteCount <= file.fileSize else {
            FuzzInput.violated("tensor data lies inside the file", "\(t.name): offset \(t.dataOffset), \(t.byteCount) bytes, file \(file.fileSize)")
        }
        if t.rowLength <= 1 << 16 { _ = try? file.dequantizedRow(t, row: 0) }
    }
    if let vocabulary = try? TokenizerVocabulary(gguf: file), vocabulary.tokens.count <= 1 << 16,
       let tokenizer = try? Tokenizer(vocabulary: vocabulary) {
        _ = tokenizer.decode(tokenizer.encode("Hello, world! <|im_start|> 123"), skipSpecial: false)
    }
    return 0
}
