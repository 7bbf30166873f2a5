/// Counts stored rows across all layers of one cache and remembers the peak.
///
/// A "row" is one token's key and value in one storage head. Byte figures count K and V only:
/// `rows × 2 × elementType.rowBytes(headDim:)`, llama.cpp's row size of the element type (4 or 2
/// bytes per value; 34 or 18 bytes per 32 values for q8_0/q4_0). The 4-byte position tag of each
/// row, the rounding of a block-format row up to whole 4-byte slots, and the reserved-but-unused
/// capacity are not counted (see `KVCache.bytesReserved`).
final class ByteAccountant {
    let rowBytes: Int
    private(set) var rows = 0
    private(set) var peakRows = 0

    init(headDim: Int, elementType: KVElementType) {
        rowBytes = 2 * elementType.rowBytes(headDim: headDim)
    }

    @inline(__always) func added(_ count: Int) {
        rows += count
        if rows > peakRows { peakRows = rows }
    }

    @inline(__always) func removed(_ count: Int) {
        rows -= count
    }

    /// Carries over another cache's peak (a fork has had the peak of the cache it copies).
    func raisePeak(toRows peak: Int) {
        peakRows = Swift.max(peakRows, peak)
    }
}
