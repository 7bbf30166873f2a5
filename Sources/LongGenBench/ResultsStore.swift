import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only JSON-lines results file: one line per finished example, flushed and fsynced per line.
/// Opening it recovers from a kill: a torn last line (no newline) is cut off, finished indices are known.
/// A new file (and its folder) is created only when the first line is appended, so a run that fails
/// before finishing an example leaves nothing behind.
public final class ResultsStore {
    public let path: String
    /// `index` of every example already in the file.
    public private(set) var finished: Set<Int> = []
    /// Bytes dropped from a torn last line when the store was opened (0 if the file was clean).
    public let droppedTornBytes: Int
    private var fd: Int32 = -1

    /// Opens `path` if it exists (reading the finished indices); otherwise nothing is created yet.
    /// With a `configuration`, every existing line must have recorded the same `config` (a resumed
    /// run never mixes settings in one file); the error names the line and the differing settings.
    public init(path: String, configuration: RunConfiguration? = nil) throws {
        let expected = configuration?.canonical
        self.path = path
        var keep = 0
        var finished = Set<Int>()
        var dropped = 0
        if FileManager.default.fileExists(atPath: path) {
            let data = try JSONLines.readData(path)
            let lastNewline = data.lastIndex(of: 0x0A).map { $0 - data.startIndex + 1 } ?? 0
            keep = lastNewline
            dropped = data.count - lastNewline
            for (number, bytes) in JSONLines.rawLines(data.prefix(lastNewline)) {
                if bytes.isEmpty { continue }
                let object = try JSONLines.parseObject(bytes, file: path, line: number)
                guard let index = (object["index"] as? NSNumber)?.intValue else {
                    throw LongGenBenchError.at(path, line: number, "field 'index' is missing (not a results file of this runner?)")
                }
                if let expected {
                    guard let recorded = object["config"] as? [String: Any] else {
                        throw LongGenBenchError.at(path, line: number, "no recorded configuration (written by an older scope), so this run cannot resume into it; use another --out or remove the file")
                    }
                    let differences = RunConfiguration.differences(RunConfiguration.canonical(recorded), expected)
                    if !differences.isEmpty {
                        throw LongGenBenchError.at(path, line: number, "was written with a different configuration (file vs this run: "
                                                   + differences.joined(separator: "; ") + "); use another --out or remove the file")
                    }
                }
                finished.insert(index)
            }
        }
        self.finished = finished
        self.droppedTornBytes = dropped
        if dropped > 0 {
            let fd = try openForAppending()
            guard ftruncate(fd, off_t(keep)) == 0 else {
                throw LongGenBenchError("\(path): cannot cut off the torn last line (errno \(errno))")
            }
            _ = fsync(fd)
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// The append descriptor, creating the folder and the file on first use.
    private func openForAppending() throws -> Int32 {
        if fd >= 0 { return fd }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                // The usual cause, said plainly: a file where one of the path's folders should be.
                var folder = URL(fileURLWithPath: dir), isDirectory: ObjCBool = false
                while folder.path != "/" {
                    if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                        throw LongGenBenchError("\(dir): cannot create the results folder: \(folder.path) is a file, not a folder")
                    }
                    folder.deleteLastPathComponent()
                }
                throw LongGenBenchError("\(dir): cannot create the results folder (\(error.localizedDescription))")
            }
        }
        let opened = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard opened >= 0 else { throw LongGenBenchError("\(path): cannot open for appending (\(String(cString: strerror(errno))))") }
        fd = opened
        return opened
    }

    /// Appends one JSON line for example `index` and fsyncs it.
    public func append(index: Int, jsonLine: String) throws {
        let fd = try openForAppending()
        var data = Data(jsonLine.utf8)
        data.append(0x0A)
        guard AtomicFile.writeAll(fd, data) else { throw LongGenBenchError("\(path): write failed (errno \(errno))") }
        guard fsync(fd) == 0 else { throw LongGenBenchError("\(path): fsync failed (errno \(errno))") }
        finished.insert(index)
    }
}
