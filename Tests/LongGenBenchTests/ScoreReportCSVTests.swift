import Testing
@testable import LongGenBench

/// The score table's CSV fields read back through the CSV reader unchanged. Found while fuzzing the CSV
/// reader: a `"` or `,` followed by a combining mark is one Character, so a Character-level check left
/// such fields unquoted (and line breaks were never quoted), splitting or merging columns on reading.
struct ScoreReportCSVTests {
    @Test(arguments: ["plain", "a,b", "say \"hi\"", "q\"\u{301}x", ",\u{301}", "line\nbreak", "cr\rlf", "", "\u{301}"])
    func fieldsReadBackUnchanged(field: String) throws {
        let line = ScoreReport.csvField(field) + ",next"
        let table = try CSVTable(text: line, file: "report.csv")
        #expect(table.rows.count == 1)
        #expect(table.rows.first?.fields == [field, "next"], "\(line.debugDescription)")
    }
}
