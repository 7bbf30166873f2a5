import ArgumentParser
import Foundation
import GGUF
import LongGenBench

/// `scope inspect MODEL`: metadata and tensor table of a GGUF file, or one tensor's values.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a GGUF file's metadata and tensor table, or dequantize one tensor.",
        discussion: """
            Examples:
              scope inspect model.gguf
              scope inspect model.gguf --json
              scope inspect model.gguf --tensor token_embd.weight --dequantize --row 0 --json
            """
    )

    @Argument(help: "Path to a GGUF file (default: the default model in the cache folder).")
    var model: String?

    @Option(name: .customLong("model"), help: "Path to a GGUF file (alternative to the positional argument).")
    var modelOption: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Option(help: "Show only this tensor.")
    var tensor: String?

    @Flag(help: "With --tensor: print the tensor's values dequantized to float32.")
    var dequantize = false

    @Option(help: "With --dequantize: only this row (0-based, a row is ne[0] contiguous values).")
    var row: Int?

    @Flag(help: "Print metadata arrays in full instead of summarized.")
    var fullArrays = false

    func validate() throws {
        if model != nil, modelOption != nil { throw ValidationError("give the model either as an argument or with --model, not both") }
        if dequantize, tensor == nil { throw ValidationError("--dequantize needs --tensor NAME") }
        if row != nil, !dequantize { throw ValidationError("--row needs --dequantize") }
    }

    func run() throws {
        let path = model ?? modelOption ?? Self.defaultModelPath
        do {
            let file = try GGUFFile(path: path)
            var out = OutputBuffer()
            if let name = tensor {
                guard let info = file.tensor(name) else {
                    throw GGUFError("\(path): no tensor named '\(name)' (the file has \(file.tensors.count) tensors; run 'scope inspect \(path)' to list them)")
                }
                try printTensor(info, of: file, to: &out)
            } else if json {
                printJSON(file, to: &out)
            } else {
                printText(file, to: &out)
            }
            out.flush()
        } catch let error as GGUFError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// `${XDG_CACHE_HOME:-~/.cache}/scope/models/SmolLM2-135M-Instruct.Q4_1.gguf`.
    static var defaultModelPath: String { DefaultModelPath.path }

    // MARK: - One tensor

    private func printTensor(_ t: GGUFTensorInfo, of file: GGUFFile, to out: inout OutputBuffer) throws {
        var values: [Float] = []
        if dequantize {
            if let row {
                values = try file.dequantizedRow(t, row: row)
            } else {
                values = try file.dequantized(t)
            }
        }
        if json {
            out.write("{\"name\":\(JSON.string(t.name)),\"type\":\(JSON.string(t.type.name)),\"shape\":[\(t.shape.map(String.init).joined(separator: ","))]")
            out.write(",\"offset\":\(t.dataOffset),\"bytes\":\(t.byteCount)")
            if let row { out.write(",\"row\":\(row)") }
            if dequantize {
                out.write(",\"values\":[")
                for (i, v) in values.enumerated() {
                    if i > 0 { out.write(",") }
                    out.write(JSON.number(v))
                }
                out.write("]")
            }
            out.write("}\n")
        } else {
            out.write("\(t.name)  \(t.type.name)  shape [\(t.shape.map(String.init).joined(separator: ", "))]  offset \(t.dataOffset)  \(t.byteCount) bytes\n")
            if dequantize {
                let perLine = row == nil ? t.rowLength : values.count
                for start in stride(from: 0, to: values.count, by: max(perLine, 1)) {
                    let end = min(start + perLine, values.count)
                    out.write(values[start..<end].map { "\($0)" }.joined(separator: " "))
                    out.write("\n")
                }
            }
        }
    }

    // MARK: - Whole file

    private func printText(_ file: GGUFFile, to out: inout OutputBuffer) {
        out.write("\(file.path)\n")
        out.write("GGUF version \(file.version), alignment \(file.alignment), \(file.fileSize) bytes, tensor data at byte \(file.dataSectionOffset)\n\n")
        out.write("Metadata (\(file.metadataKeys.count) keys):\n")
        let keyWidth = min(file.metadataKeys.map(\.count).max() ?? 0, 48)
        for key in file.metadataKeys {
            guard let value = file.metadata[key] else { continue }
            out.write("  \(key.padding(toLength: max(keyWidth, key.count), withPad: " ", startingAt: 0))  \(value.typeName.padding(toLength: 14, withPad: " ", startingAt: 0))  \(describe(value))\n")
        }
        out.write("\nTensors (\(file.tensors.count)):\n")
        let nameWidth = max(file.tensors.map(\.name.count).max() ?? 0, 4)
        let shapes = file.tensors.map { "[" + $0.shape.map(String.init).joined(separator: ", ") + "]" }
        let shapeWidth = max(shapes.map(\.count).max() ?? 0, 5)
        out.write("  \(pad("name", nameWidth))  \(pad("type", 7))  \(pad("shape", shapeWidth))  \(lpad("offset", 12))  \(lpad("bytes", 12))\n")
        var total = 0
        for (t, shape) in zip(file.tensors, shapes) {
            total += t.byteCount
            out.write("  \(pad(t.name, nameWidth))  \(pad(t.type.name, 7))  \(pad(shape, shapeWidth))  \(lpad(String(t.dataOffset), 12))  \(lpad(String(t.byteCount), 12))\n")
        }
        let counts = Dictionary(grouping: file.tensors, by: \.type.name).map { "\($0.key) \($0.value.count)" }.sorted()
        out.write("\nTotal tensor data: \(total) bytes; types: \(counts.joined(separator: ", "))\n")
    }

    private func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    private func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }

    /// Text form of a value: long strings shortened, arrays summarized unless --full-arrays.
    private func describe(_ value: GGUFValue) -> String {
        switch value {
        case .string(let s): return quoted(s, limit: fullArrays ? Int.max : 120)
        case .array(let items):
            let shown = fullArrays ? items.count : min(items.count, 8)
            let head = items.prefix(shown).map { item -> String in
                if case .string(let s) = item { return quoted(s, limit: 40) }
                return describe(item)
            }
            let more = shown < items.count ? ", … (\(items.count) total)" : ""
            return "[" + head.joined(separator: ", ") + more + "]"
        case .float32(let f): return "\(f)"
        case .float64(let d): return "\(d)"
        case .bool(let b): return "\(b)"
        default: return value.intValue.map(String.init) ?? "\(value)"
        }
    }

    private func quoted(_ s: String, limit: Int) -> String {
        var escaped = JSON.string(s)
        if s.count > limit {
            escaped = JSON.string(String(s.prefix(limit))) + "… (\(s.utf8.count) bytes)"
        }
        return escaped
    }

    private func printJSON(_ file: GGUFFile, to out: inout OutputBuffer) {
        out.write("{\"path\":\(JSON.string(file.path)),\"version\":\(file.version),\"alignment\":\(file.alignment)")
        out.write(",\"file_size\":\(file.fileSize),\"data_offset\":\(file.dataSectionOffset),\"metadata\":{")
        for (i, key) in file.metadataKeys.enumerated() {
            guard let value = file.metadata[key] else { continue }
            if i > 0 { out.write(",") }
            out.write(JSON.string(key) + ":")
            writeJSON(value, to: &out)
        }
        out.write("},\"tensors\":[")
        for (i, t) in file.tensors.enumerated() {
            if i > 0 { out.write(",") }
            out.write("{\"name\":\(JSON.string(t.name)),\"type\":\(JSON.string(t.type.name)),\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"offset\":\(t.dataOffset),\"bytes\":\(t.byteCount)}")
        }
        out.write("]}\n")
    }

    /// Arrays longer than 64 elements become `{"type":"array","element_type":..,"count":..,"head":[first 16]}`
    /// unless --full-arrays.
    private func writeJSON(_ value: GGUFValue, to out: inout OutputBuffer) {
        switch value {
        case .string(let s): out.write(JSON.string(s))
        case .bool(let b): out.write(b ? "true" : "false")
        case .float32(let f): out.write(JSON.number(f))
        case .float64(let d): out.write(d.isFinite ? "\(d)" : "null")
        case .array(let items):
            if !fullArrays, items.count > 64 {
                out.write("{\"type\":\"array\",\"element_type\":\(JSON.string(items[0].typeName)),\"count\":\(items.count),\"head\":[")
                for (i, item) in items.prefix(16).enumerated() {
                    if i > 0 { out.write(",") }
                    writeJSON(item, to: &out)
                }
                out.write("]}")
            } else {
                out.write("[")
                for (i, item) in items.enumerated() {
                    if i > 0 { out.write(",") }
                    writeJSON(item, to: &out)
                }
                out.write("]")
            }
        default: out.write(value.intValue.map(String.init) ?? (value.floatValue.map { "\($0)" } ?? "null"))
        }
    }
}

/// Minimal JSON text helpers for the inspect output.
private enum JSON {
    /// `s` as a JSON string literal.
    static func string(_ s: String) -> String { PythonJSON.string(s) }

    /// Shortest round-tripping decimal form of a float32 (null when not finite).
    static func number(_ f: Float) -> String { f.isFinite ? "\(f)" : "null" }
}

/// Buffers standard output and writes it in large chunks.
private struct OutputBuffer {
    private var buffer = ""

    mutating func write(_ s: String) {
        buffer += s
        if buffer.utf8.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(Data(buffer.utf8))
        buffer = ""
    }
}
