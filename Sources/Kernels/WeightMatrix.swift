import GGUF

/// A 2-D weight tensor left in its file format (memory-mapped, quantized): its name and its data.
///
/// GGUF shape `[cols, rows]`: `cols` (ne[0]) is the contiguous input axis, so row `r` holds the
/// weights producing output `r`. `y = W·x` has `rows` outputs for `cols` inputs.
public struct WeightMatrix: @unchecked Sendable {
    public let name: String
    /// Everything the kernels read (see `MatrixData`).
    public let data: MatrixData

    public var type: GGMLType { data.type }
    public var rows: Int { data.rows }
    public var cols: Int { data.cols }
    public var rowBytes: Int { data.rowBytes }
    public var base: UnsafeRawPointer { data.base }
    /// The rows repacked for the 8-bit decode kernels (see `MatrixData.packed`).
    public var packed: UnsafeRawPointer? { data.packed }

    public init(name: String, type: GGMLType, rows: Int, cols: Int, base: UnsafeRawPointer, packed: UnsafeRawPointer? = nil) {
        self.name = name
        self.data = MatrixData(type: type, rows: rows, cols: cols, rowBytes: rowByteCount(type, elements: cols), base: base,
                               packed: packed)
    }

    /// This matrix reading the packed copy at `packed` (see `packed`).
    public func reading(packed: UnsafeRawPointer) -> WeightMatrix {
        WeightMatrix(name: name, type: type, rows: rows, cols: cols, base: base, packed: packed)
    }

    /// Loads tensor `name` from `file`, checking it is 2-D (or 1-D, as one row) and of a supported type.
    public init(_ file: GGUFFile, _ name: String) throws {
        guard let info = file.tensor(name) else {
            throw KernelError("tensor '\(name)' is missing from \(file.path)")
        }
        guard info.shape.count <= 2 || info.shape.dropFirst(2).allSatisfy({ $0 == 1 }) else {
            throw KernelError("tensor '\(name)' has shape \(info.shape); expected a matrix")
        }
        guard RowDot.isSupported(info.type) else {
            throw KernelError("tensor '\(name)' has type \(info.type.name), which the engine cannot run yet")
        }
        self.init(name: name, type: info.type, rows: info.shape.count > 1 ? info.shape[1] : 1,
                  cols: info.shape[0], base: file.data(info))
    }

    @inline(__always)
    public func row(_ r: Int) -> UnsafeRawPointer { data.row(r) }

    /// Dequantizes row `r` into `dst` (`cols` floats).
    public func dequantizeRow(_ r: Int, into dst: UnsafeMutablePointer<Float>) { data.dequantizeRow(r, into: dst) }
}

/// The name-free part of a `WeightMatrix`, trivially copyable: its type, shape and bytes. The
/// parallel loops bind this per task rather than the matrix, because copying a `WeightMatrix`
/// retains and releases its name's string storage, and on two threads those reference-count
/// writes contend for one cache line (about 3% of a batched decode step in a profile).
public struct MatrixData: @unchecked Sendable {
    public let type: GGMLType
    public let rows: Int
    public let cols: Int
    public let rowBytes: Int
    public let base: UnsafeRawPointer
    /// The rows repacked for the 8-bit decode kernels (`Q4_1Packed`, `Q8_0Packed`), when a
    /// `PackedWeightStore` made a copy; the decode products and `dequantizeRow` then read it instead
    /// of `base`. Owned by the store, which must outlive this value.
    public let packed: UnsafeRawPointer?

    @inline(__always)
    public func row(_ r: Int) -> UnsafeRawPointer { base + r * rowBytes }

    /// Dequantizes row `r` into `dst` (`cols` floats).
    public func dequantizeRow(_ r: Int, into dst: UnsafeMutablePointer<Float>) {
        guard let packed else { return RowDot.dequantize(type, row(r), into: dst, count: cols) }
        withUnsafeTemporaryAllocation(byteCount: rowBytes, alignment: 16) { tmp in
            PackedMatrix.unpackRow(self, packed, row: r, into: tmp.baseAddress!)
            RowDot.dequantize(type, UnsafeRawPointer(tmp.baseAddress!), into: dst, count: cols)
        }
    }
}

/// An error from the kernels layer, with a message naming the tensor or the problem.
public struct KernelError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
