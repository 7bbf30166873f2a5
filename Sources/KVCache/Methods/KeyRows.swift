/// The `keys` statistic: methods read stored key rows (post-RoPE) as float32 through this, whatever
/// the storage element type.
extension LayerKV {
    /// Floats in one key row of the model (`headDim` storage slots hold two halves each for `.f16`).
    var keyWidth: Int { elementType == .f32 ? headDim : 2 * headDim }

    /// Writes key row `row` (physical) of storage head `s` as `keyWidth` floats into `out`.
    func readKey(_ s: Int, row: Int, into out: UnsafeMutablePointer<Float>) throws {
        let base = keys(s) + row * headDim
        if elementType == .f32 {
            out.update(from: base, count: headDim)
        } else if elementType == .f16 {
            let halves = UnsafeRawPointer(base)
            for i in 0..<(2 * headDim) {
                out[i] = Float(Float16(bitPattern: halves.load(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        } else {
            throw KVCacheError.invalidConfig("this method reads key rows, which it cannot do with --kv-type \(elementType.rawValue)")
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
