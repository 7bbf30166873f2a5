#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A GGUF file (versions 2 and 3), memory-mapped read-only. The initializer validates the header,
/// every metadata value and every tensor info (types, dimensions, sizes, offsets within the file)
/// so that `data(_:)` pointers are always safe to read for `byteCount` bytes.
public final class GGUFFile: @unchecked Sendable {
    /// The path the file was opened from.
    public let path: String
    /// GGUF format version (2 or 3).
    public let version: Int
    /// Data alignment (`general.alignment`, default 32).
    public let alignment: Int
    /// Metadata values by key.
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// Size of the file in bytes.
    public let fileSize: Int
    /// Absolute byte offset where the tensor data section begins.
    public let dataSectionOffset: Int

    private let mapping: UnsafeMutableRawPointer?
    private let tensorIndex: [String: Int]

    /// Default alignment when `general.alignment` is absent.
    public static let defaultAlignment = 32

    /// Maps and validates the file at `path`. Throws `GGUFError` describing the first problem found.
    public init(path: String) throws {
        self.path = path
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer (a hang) before
        // the regular-file check below could refuse it; it changes nothing for regular files.
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else {
            throw GGUFError("\(path): cannot open file: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw GGUFError("\(path): cannot stat file: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError("\(path): not a regular file")
        }
        let size = Int(st.st_size)
        guard size > 0 else {
            throw GGUFError("\(path): file is empty (0 bytes); expected a GGUF header starting with magic \"GGUF\"")
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw GGUFError("\(path): cannot memory-map file (\(size) bytes): \(String(cString: strerror(errno)))")
        }
        let parsed: GGUFParser.Result
        do {
            var parser = GGUFParser(cursor: ByteCursor(base: UnsafeRawPointer(p), count: size, path: path))
            parsed = try parser.parse()
        } catch {
            munmap(p, size)
            throw error
        }
        mapping = p
        fileSize = size
        version = parsed.version
        alignment = parsed.alignment
        metadata = parsed.metadata
        metadataKeys = parsed.metadataKeys
        tensors = parsed.tensors
        dataSectionOffset = parsed.dataSectionOffset
        var index: [String: Int] = [:]
        index.reserveCapacity(tensors.count)
        for (i, t) in tensors.enumerated() { index[t.name] = i }
        tensorIndex = index
    }

    deinit {
        if let mapping { munmap(mapping, fileSize) }
    }

    /// Tells the kernel the whole pages inside `[pointer, pointer + byteCount)` of the mapping are not
    /// needed now (`madvise(MADV_DONTNEED)`): they leave resident memory and are read from the file
    /// again if touched (the mapping is private and never written). A hint; errors are ignored.
    public func releasePages(_ pointer: UnsafeRawPointer, byteCount: Int) {
        guard let mapping, byteCount > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lo = max(Int(bitPattern: pointer), Int(bitPattern: UnsafeRawPointer(mapping)))
        let hi = min(Int(bitPattern: pointer) + byteCount, Int(bitPattern: UnsafeRawPointer(mapping)) + fileSize)
        let first = (lo + page - 1) / page * page, last = hi / page * page
        guard last > first, let start = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(start, last - first, MADV_DONTNEED)
    }

    /// Asks the kernel to read the whole mapping ahead (`madvise(MADV_WILLNEED)`); a hint, errors ignored.
    public func prefetch() {
        if let mapping { _ = madvise(mapping, fileSize, MADV_WILLNEED) }
    }

    /// The tensor named `name`, or nil.
    public func tensor(_ name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// Pointer to the tensor's data inside the mapping (valid for `t.byteCount` bytes while `self` lives).
    public func data(_ t: GGUFTensorInfo) -> UnsafeRawPointer {
        UnsafeRawPointer(mapping!) + t.dataOffset
    }

    /// The tensor's data as a bounded buffer (valid while `self` lives).
    public func bytes(_ t: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: data(t), count: t.byteCount)
    }

    /// All values of a tensor dequantized to `Float` (row-major in `ne` order).
    public func dequantized(_ t: GGUFTensorInfo) throws -> [Float] {
        let n = t.elementCount
        let rows = t.rowCount, rowLen = t.rowLength, rowBytes = t.rowBytes
        let src = data(t)
        return try [Float](unsafeUninitializedCapacity: n) { buf, initialized in
            for r in 0..<rows {
                try Dequantize.row(t.type, from: src + r * rowBytes, into: buf.baseAddress! + r * rowLen,
                                   count: rowLen, tensorName: t.name)
            }
            initialized = n
        }
    }

    /// One row (`row` in 0..<rowCount) of a tensor dequantized to `Float`.
    public func dequantizedRow(_ t: GGUFTensorInfo, row: Int) throws -> [Float] {
        guard row >= 0, row < t.rowCount else {
            throw GGUFError("\(path): row \(row) out of range for tensor '\(t.name)' with \(t.rowCount) rows")
        }
        let rowLen = t.rowLength
        let src = data(t) + row * t.rowBytes
        return try [Float](unsafeUninitializedCapacity: rowLen) { buf, initialized in
            try Dequantize.row(t.type, from: src, into: buf.baseAddress!, count: rowLen, tensorName: t.name)
            initialized = rowLen
        }
    }

    /// String metadata value for `key` (nil if absent or not a string).
    public func string(_ key: String) -> String? { metadata[key]?.stringValue }
    /// Integer metadata value for `key` (any integer type).
    public func int(_ key: String) -> Int? { metadata[key]?.intValue }
    /// Numeric metadata value for `key` (any integer or float type).
    public func float(_ key: String) -> Double? { metadata[key]?.floatValue }
    /// Bool metadata value for `key`.
    public func bool(_ key: String) -> Bool? { metadata[key]?.boolValue }
}
