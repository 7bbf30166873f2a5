/// Counts stored rows across all layers of one cache and remembers the peak.
///
/// A "row" is one token's key and value in one storage head: `2 × headDim` floats. Byte figures
/// count K and V only (`rows × 2 × headDim × 4`); the 4-byte position tag of each row and the
/// reserved-but-unused capacity are not counted (see `KVCache.bytesReserved`).
final class ByteAccountant {
    let rowBytes: Int
    private(set) var rows = 0
    private(set) var peakRows = 0

    init(headDim: Int) {
        rowBytes = 2 * headDim * MemoryLayout<Float>.size
    }

    @inline(__always) func added(_ count: Int) {
        rows += count
        if rows > peakRows { peakRows = rows }
    }

    @inline(__always) func removed(_ count: Int) {
        rows -= count
    }
}
