/// A bounds-checked little-endian reader over a byte region. Every read checks the remaining
/// length first and throws a `GGUFError` naming the offset and what was being read.
struct ByteCursor {
    let base: UnsafeRawPointer
    let count: Int
    let path: String
    private(set) var offset: Int = 0

    init(base: UnsafeRawPointer, count: Int, path: String) {
        self.base = base
        self.count = count
        self.path = path
    }

    var remaining: Int { count - offset }

    /// Throws unless `n` more bytes are available.
    func require(_ n: Int, _ what: @autoclosure () -> String) throws {
        if n < 0 || n > count - offset {
            throw GGUFError("\(path): truncated at byte offset \(offset) while reading \(what()): need \(n) bytes, only \(count - offset) remain")
        }
    }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try require(MemoryLayout<T>.size, what())
        let v = base.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func readU32(_ what: @autoclosure () -> String) throws -> UInt32 { try read(UInt32.self, what()) }
    mutating func readU64(_ what: @autoclosure () -> String) throws -> UInt64 { try read(UInt64.self, what()) }
    mutating func readI64(_ what: @autoclosure () -> String) throws -> Int64 { try read(Int64.self, what()) }

    mutating func readF32(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readF64(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A GGUF string: u64 byte length then that many bytes (UTF-8; invalid sequences are repaired
    /// with U+FFFD). The length is checked against the bytes left in the file before any allocation.
    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let start = offset
        let length = try readU64("length of \(what())")
        guard length <= UInt64(remaining) else {
            throw GGUFError("\(path): string length \(length) of \(what()) at byte offset \(start) runs past the end of the file (\(remaining) bytes remain)")
        }
        let n = Int(length)
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: n)
        offset += n
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Moves to `target` (must be within the region).
    mutating func seek(to target: Int, _ what: @autoclosure () -> String) throws {
        guard target >= 0, target <= count else {
            throw GGUFError("\(path): \(what()) at byte offset \(target) lies beyond the end of the file (\(count) bytes)")
        }
        offset = target
    }
}
