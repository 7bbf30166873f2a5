/// The `keys` statistic: methods read stored key rows (post-RoPE) as float32 through this, whatever
/// the storage element type (f32 rows, f16 halves, or q8_0/q4_0 blocks decoded by the formats' scalar
/// reference).
extension LayerKV {
    /// Floats in one key row of the model (the head dimension, whatever the storage).
    var keyWidth: Int { rowValues }

    /// Writes key row `row` (physical) of storage head `s` as `keyWidth` floats into `out`.
    func readKey(_ s: Int, row: Int, into out: UnsafeMutablePointer<Float>) throws {
        let base = keys(s) + row * headDim
        switch elementType {
        case .f32:
            out.update(from: base, count: rowValues)
        case .f16:
            let halves = UnsafeRawPointer(base)
            for i in 0..<rowValues {
                out[i] = Float(Float16(bitPattern: halves.load(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .q8_0, .q4_0:
            KVBlockQuantizer.dequantizeRow(elementType, UnsafeRawPointer(base), count: rowValues, into: out)
        }
    }

    /// L2 norm of key row `row` of storage head `s` (float64 accumulation).
    func keyNorm(_ s: Int, row: Int, scratch: UnsafeMutablePointer<Float>) throws -> Float {
        try readKey(s, row: row, into: scratch)
        var sum: Double = 0
        for i in 0..<keyWidth { sum += Double(scratch[i]) * Double(scratch[i]) }
        return Float(sum.squareRoot())
    }
}
