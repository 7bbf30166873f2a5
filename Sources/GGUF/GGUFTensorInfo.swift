/// One tensor's description from the GGUF tensor-info table.
public struct GGUFTensorInfo: Sendable {
    /// Tensor name, e.g. "blk.0.attn_q.weight".
    public let name: String
    /// Element type.
    public let type: GGMLType
    /// Dimensions in ggml `ne` order: `shape[0]` is the contiguous (fastest-varying) axis.
    public let shape: [Int]
    /// Absolute byte offset of the tensor's data in the file.
    public let dataOffset: Int

    /// Total number of elements (product of `shape`; validated not to overflow by the reader).
    public var elementCount: Int { shape.reduce(1, *) }
    /// Elements per row (`shape[0]`).
    public var rowLength: Int { shape.first ?? 1 }
    /// Number of rows (product of `shape[1...]`).
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }
    /// Bytes of one row.
    public var rowBytes: Int { rowByteCount(type, elements: rowLength) }
    /// Bytes occupied by the tensor's data.
    public var byteCount: Int { rowBytes * rowCount }

    public init(name: String, type: GGMLType, shape: [Int], dataOffset: Int) {
        self.name = name
        self.type = type
        self.shape = shape
        self.dataOffset = dataOffset
    }
}
