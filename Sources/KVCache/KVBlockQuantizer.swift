/// Writes float32 rows in llama.cpp's `q8_0` and `q4_0` block formats, with the rules of ggml's
/// reference quantizers (`quantize_row_q8_0_ref`, `quantize_row_q4_0_ref`; see
/// `methods-after-scope.md` §6.2). A row is a plain array of 32-value blocks, each an IEEE half
/// scale `d` (little-endian) followed by the codes.
///
/// * q8_0 (34 bytes): `d = max|x| / 127` in float32, stored as fp16; codes `round(x · (1/d))` with
///   the float32 `d` and ties away from zero (C `roundf`); decoded `q · d`.
/// * q4_0 (18 bytes): `vmax` = the element of largest magnitude with its sign (the first wins
///   ties), `d = vmax / −8`; codes `min(15, trunc(x · (1/d) + 8.5))`; byte `j` holds element `j` in
///   its low nibble and element `j + 16` in its high nibble; decoded `(q − 8) · d`.
/// A block of zeros has `d = 0` and zero codes (q8_0) or codes 8 (q4_0). Non-finite inputs are not
/// produced by the model; they give code 0 (q8_0) or 8 (q4_0) instead of trapping.
public enum KVBlockQuantizer {
    /// Values per block.
    public static let blockValues = 32

    /// Quantizes `count` floats (a multiple of 32) at `x` into `dst` in `type`'s block format
    /// (`type.rowBytes(headDim: count)` bytes). `type` must be `.q8_0` or `.q4_0`.
    public static func quantizeRow(_ type: KVElementType, _ x: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        precondition(count % blockValues == 0, "a quantized row holds whole blocks of 32 values, got \(count)")
        for b in 0..<(count / blockValues) {
            let src = x + b * blockValues, out = dst + b * type.blockBytes
            switch type {
            case .q8_0: quantizeBlockQ8_0(src, into: out)
            case .q4_0: quantizeBlockQ4_0(src, into: out)
            case .f32, .f16: preconditionFailure("\(type) is not a block format")
            }
        }
    }

    /// One q8_0 block (34 bytes).
    @inline(__always)
    static func quantizeBlockQ8_0(_ x: UnsafePointer<Float>, into out: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0..<blockValues { amax = Swift.max(amax, abs(x[j])) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        out.storeBytes(of: Float16(d).bitPattern, as: UInt16.self)
        for j in 0..<blockValues {
            let v = (x[j] * id).rounded(.toNearestOrAwayFromZero)
            let q: Int8 = v.isFinite ? Int8(Swift.max(-127, Swift.min(127, v))) : 0
            out.storeBytes(of: q, toByteOffset: 2 + j, as: Int8.self)
        }
    }

    /// One q4_0 block (18 bytes).
    @inline(__always)
    static func quantizeBlockQ4_0(_ x: UnsafePointer<Float>, into out: UnsafeMutableRawPointer) {
        var amax: Float = 0, vmax: Float = 0
        for j in 0..<blockValues where amax < abs(x[j]) {
            amax = abs(x[j]); vmax = x[j]
        }
        let d = vmax / -8
        let id: Float = d != 0 ? 1 / d : 0
        out.storeBytes(of: Float16(d).bitPattern, as: UInt16.self)
        @inline(__always) func code(_ v: Float) -> UInt8 {
            let t = v * id + 8.5
            // t lies in [0.5, 16.5] for finite inputs; truncation then equals floor.
            return t.isFinite ? UInt8(Swift.min(15, Swift.max(0, t.rounded(.towardZero)))) : 8
        }
        for j in 0..<(blockValues / 2) {
            out.storeBytes(of: code(x[j]) | code(x[j + blockValues / 2]) << 4, toByteOffset: 2 + j, as: UInt8.self)
        }
    }

    /// Decodes `count` values (a multiple of 32) of a row in `type`'s block format: the scalar
    /// reference of the formats (tests and cold paths; the attention kernels read blocks directly).
    public static func dequantizeRow(_ type: KVElementType, _ src: UnsafeRawPointer, count: Int, into y: UnsafeMutablePointer<Float>) {
        for b in 0..<(count / blockValues) {
            let blk = src + b * type.blockBytes, o = y + b * blockValues
            let d = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
            switch type {
            case .q8_0:
                for j in 0..<blockValues { o[j] = Float(blk.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
            case .q4_0:
                for j in 0..<(blockValues / 2) {
                    let byte = blk.load(fromByteOffset: 2 + j, as: UInt8.self)
                    o[j] = Float(Int(byte & 0x0F) - 8) * d
                    o[j + blockValues / 2] = Float(Int(byte >> 4) - 8) * d
                }
            case .f32, .f16: preconditionFailure("\(type) is not a block format")
            }
        }
    }
}
