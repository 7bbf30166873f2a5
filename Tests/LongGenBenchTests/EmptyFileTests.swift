import Foundation
import Testing
@testable import LongGenBench

/// Empty input files: clear errors or empty results. Reading one used to leak Foundation's 4 KiB read
/// buffer per file (found by fuzzing; visible under AddressSanitizer, e.g. scripts/sanitize).
struct EmptyFileTests {
    @Test func emptyFilesReadAsNoBytesAndNoRecords() throws {
        let t = TempFolder()
        let path = t.write("gsm8k_1.jsonl", "")
        #expect(try JSONLines.readData(path).isEmpty)
        #expect(try JSONLines.readObjects(path).isEmpty)
        #expect(try ResultsReader.read(path).isEmpty)
        #expect(throws: LongGenBenchError("\(path): no records")) { try LongGenBenchData.load(path) }
    }
}
