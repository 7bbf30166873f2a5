import Foundation

/// Reads a UTF-8 text file named by `option`, reporting precisely what is wrong: missing, a
/// folder, not a regular file (a FIFO or device would block), unreadable, or not UTF-8.
func readTextFile(_ path: String, option: String) throws -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw CLIError("\(option) \(path): no such file")
    }
    if isDirectory.boolValue { throw CLIError("\(option) \(path) is a folder, not a file") }
    let type = (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) ?? nil
    guard type == .typeRegular else { throw CLIError("\(option) \(path) is not a regular file") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CLIError("\(option) \(path): cannot read the file (permission denied?)")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw CLIError("\(option) \(path) is not UTF-8 text") }
    return text
}
