import Foundation
import JSONStrict

/// Reading UTF-8 text and JSON-lines files with errors that name the file and line.
public enum JSONLines {
    /// The bytes of `path`, or an error naming the file.
    public static func readData(_ path: String) throws -> Data {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw LongGenBenchError("\(path): no such file")
        }
        guard !isDir.boolValue else { throw LongGenBenchError("\(path): is a folder, expected a file") }
        // An empty file is not read: swift-foundation's contents(atPath:) leaks its 4 KiB buffer on one
        // (found by fuzzing under AddressSanitizer).
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber, size.intValue == 0 {
            return Data()
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LongGenBenchError("\(path): cannot be read")
        }
        return data
    }

    /// The text of `path` decoded as UTF-8, or an error naming the file.
    public static func readText(_ path: String) throws -> String {
        let data = try readData(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw LongGenBenchError("\(path): not valid UTF-8 text")
        }
        return text
    }

    /// One parsed line: its 1-based line number and its JSON object.
    public struct Line {
        public let number: Int
        public let object: [String: Any]
    }

    /// Splits bytes into lines (on `\n`, dropping a trailing `\r`), with 1-based numbers.
    static func rawLines(_ data: Data) -> [(number: Int, bytes: Data)] {
        var lines: [(Int, Data)] = []
        var start = data.startIndex, number = 1
        data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            let base = data.startIndex
            for i in 0..<buf.count where buf[i] == 0x0A {
                var end = base + i
                if end > start, buf[end - 1 - base] == 0x0D { end -= 1 }
                lines.append((number, data.subdata(in: start..<end)))
                start = base + i + 1
                number += 1
            }
        }
        if start < data.endIndex { lines.append((number, data.subdata(in: start..<data.endIndex))) }
        return lines
    }

    /// Parses every non-blank line of a JSON-lines file as a JSON object.
    /// A line that is not a JSON object throws `path:line: malformed JSON line`.
    public static func readObjects(_ path: String) throws -> [Line] {
        let data = try readData(path)
        var out: [Line] = []
        for (number, bytes) in rawLines(data) {
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            out.append(Line(number: number, object: try parseObject(bytes, file: path, line: number)))
        }
        return out
    }

    /// Parses one line's bytes as a JSON object. The strict parser checks it first (`JSONParser`: a key
    /// given twice, which Foundation resolves silently, and the column of a syntax error); Foundation's
    /// then gives the values, in the types the readers cast to.
    public static func parseObject(_ bytes: Data, file: String, line: Int) throws -> [String: Any] {
        let strict = [UInt8](bytes)
        do {
            _ = try JSONParser.parse(strict)
        } catch {
            switch error {
            case .duplicateKey(let path):
                throw LongGenBenchError.at(file, line: line, "the key '\(path)' is given twice")
            case .syntax(let what, let offset):
                let column = JSONParser.lineAndColumn(of: offset, in: strict).column
                throw LongGenBenchError.at(file, line: line, "malformed JSON line: \(what) (column \(column))")
            }
        }
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed])
        } catch {
            throw LongGenBenchError.at(file, line: line, "malformed JSON line")
        }
        guard let object = value as? [String: Any] else {
            throw LongGenBenchError.at(file, line: line, "expected a JSON object")
        }
        return object
    }
}
