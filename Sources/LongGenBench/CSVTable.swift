/// A minimal RFC 4180 CSV reader (comma separator, `"` quoting with `""` escapes, quoted newlines),
/// tracking the line on which each record starts. Blank lines are skipped, as pandas does.
public struct CSVTable: Sendable {
    /// One record: its fields, the 1-based line it starts on, and which fields were quoted.
    public struct Row: Sendable {
        public var fields: [String]
        public var line: Int
        public var quoted: [Bool]
    }

    public var rows: [Row]

    /// Parses `text`; `file` names errors (an unterminated quote).
    public init(text: String, file: String) throws {
        var rows: [Row] = []
        var fields: [String] = [], quoted: [Bool] = []
        var field = String.UnicodeScalarView()
        var fieldQuoted = false, inQuotes = false, afterQuote = false
        var line = 1, rowLine = 1, quoteLine = 1
        var rowHasContent = false
        let scalars = Array(text.unicodeScalars)
        var i = 0
        func endField() {
            fields.append(String(field)); quoted.append(fieldQuoted)
            field = String.UnicodeScalarView(); fieldQuoted = false; afterQuote = false
        }
        func endRow() {
            endField()
            if rowHasContent || fields.count > 1 { rows.append(Row(fields: fields, line: rowLine, quoted: quoted)) }
            fields = []; quoted = []; rowHasContent = false
        }
        while i < scalars.count {
            let c = scalars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < scalars.count, scalars[i + 1] == "\"" {
                        field.append("\""); i += 1
                    } else {
                        inQuotes = false; afterQuote = true
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty && !afterQuote {
                inQuotes = true; fieldQuoted = true; rowHasContent = true; quoteLine = line
            } else if c == "," {
                rowHasContent = true
                endField()
            } else if c == "\n" || c == "\r" {
                if c == "\r", i + 1 < scalars.count, scalars[i + 1] == "\n" { i += 1 }
                endRow()
                line += 1
                rowLine = line
            } else {
                rowHasContent = true
                field.append(c)
            }
            i += 1
        }
        if inQuotes { throw LongGenBenchError.at(file, line: quoteLine, "unterminated quoted field") }
        if rowHasContent || !fields.isEmpty { endRow() }
        self.rows = rows
    }
}
