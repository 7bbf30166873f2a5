import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only JSON-lines results file: one line per finished example, flushed and fsynced per line.
/// Opening it recovers from a kill: a torn last line (no newline) is cut off, finished indices are known.
public final class ResultsStore {
    public let path: String
    /// `index` of every example already in the file.
    public private(set) var finished: Set<Int> = []
    /// Bytes dropped from a torn last line when the store was opened (0 if the file was clean).
    public let droppedTornBytes: Int
    private let fd: Int32

    /// Opens (creating folders and file as needed) `path`.
    public init(path: String) throws {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw LongGenBenchError("\(dir): cannot create the results folder (\(error.localizedDescription))")
            }
        }
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
                finished.insert(index)
            }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw LongGenBenchError("\(path): cannot open for appending (errno \(errno))") }
        if dropped > 0 {
            guard ftruncate(fd, off_t(keep)) == 0 else {
                close(fd)
                throw LongGenBenchError("\(path): cannot cut off the torn last line (errno \(errno))")
            }
            _ = fsync(fd)
        }
        self.fd = fd
        self.finished = finished
        self.droppedTornBytes = dropped
    }

    deinit { close(fd) }

    /// Appends one JSON line for example `index` and fsyncs it.
    public func append(index: Int, jsonLine: String) throws {
        var data = Data(jsonLine.utf8)
        data.append(0x0A)
        guard AtomicFile.writeAll(fd, data) else { throw LongGenBenchError("\(path): write failed (errno \(errno))") }
        guard fsync(fd) == 0 else { throw LongGenBenchError("\(path): fsync failed (errno \(errno))") }
        finished.insert(index)
    }
}
