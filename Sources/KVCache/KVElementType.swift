/// How K and V rows are stored: float32 (default, exact), IEEE half (halves the cache's memory
/// and the attention bandwidth; values are rounded to nearest-even on append), or llama.cpp's
/// block formats `q8_0` / `q4_0` (32 values per block with one fp16 scale; quantized on append by
/// `KVBlockQuantizer`, read by the attention kernels block by block).
public enum KVElementType: String, Sendable, CaseIterable {
    case f32, f16
    case q8_0, q4_0

    /// Values per block (1 for the float types, 32 for the block formats).
    public var blockValues: Int {
        switch self {
        case .f32, .f16: return 1
        case .q8_0, .q4_0: return 32
        }
    }

    /// Bytes per block: 4, 2, 34 (fp16 scale + 32 int8) or 18 (fp16 scale + 16 bytes of nibbles),
    /// ggml's `ggml_type_size`.
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16: return 2
        case .q8_0: return 34
        case .q4_0: return 18
        }
    }

    /// True for the block formats.
    public var isQuantized: Bool { blockValues > 1 }

    /// Bytes of one stored K (or V) row of `headDim` values: llama.cpp's `ggml_row_size`
    /// (`headDim` must be a multiple of `blockValues`).
    public func rowBytes(headDim: Int) -> Int { headDim / blockValues * blockBytes }

    /// Why a cache of this type cannot hold rows of `headDim` values, or nil when it can.
    public func unsupportedReason(headDim: Int) -> String? {
        switch self {
        case .f32: return nil
        case .f16: return headDim % 2 == 0 ? nil : "an f16 KV cache needs an even head dimension, got \(headDim)"
        case .q8_0, .q4_0:
            return headDim % 32 == 0 ? nil
                : "a \(rawValue) KV cache needs a head dimension that is a multiple of 32 (its block size), got \(headDim)"
        }
    }

    /// Float32 slots per stored row in `LayerKV` (rows are packed at `4 × slots` bytes; the block
    /// formats round a row up to whole 4-byte slots, which only adds padding when `headDim / 32` is odd).
    public func storageSlots(headDim: Int) -> Int { (rowBytes(headDim: headDim) + 3) / 4 }
}
