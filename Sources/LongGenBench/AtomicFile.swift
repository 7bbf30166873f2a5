import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file writes that never leave a partial file under the final name.
public enum AtomicFile {
    /// Writes `data` to `<path>.tmp-<pid>`, fsyncs it, then renames it to `path`.
    public static func write(_ data: Data, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw LongGenBenchError("\(dir): cannot create the output folder (\(error.localizedDescription))")
            }
        }
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw LongGenBenchError("\(tmp): cannot create (errno \(errno))") }
        var ok = true
        if !writeAll(fd, data) { ok = false }
        if fsync(fd) != 0 { ok = false }
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw LongGenBenchError("\(path): cannot write (errno \(errno))")
        }
    }

    /// Writes all of `data` to `fd`, retrying short writes; false on error.
    static func writeAll(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) -> Bool in
            guard let base = buf.baseAddress else { return true }
            var off = 0
            while off < buf.count {
                #if canImport(Glibc)
                let n = Glibc.write(fd, base + off, buf.count - off)
                #else
                let n = Darwin.write(fd, base + off, buf.count - off)
                #endif
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                off += n
            }
            return true
        }
    }
}
