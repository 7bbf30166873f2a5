import CVNNI
import Foundation
import GGUF

/// The packed layouts of the 8-bit-activation decode kernels (`Q4_1Packed`, `Q8_0Packed`), by
/// weight type.
public enum PackedMatrix {
    /// The kernels that multiply a packed matrix by 8-bit activations: `avx2` (Swift intrinsics),
    /// `vnni` (C with a target attribute, `scope_q4_1_packed_vnni`/`scope_q8_0_packed_vnni`: one
    /// `vpdpbusd` per code vector instead of `vpmaddubsw` + `vpmaddwd` and adds). Both give the same
    /// integer dots and the same float steps, so the same bits.
    public enum Kernel: Sendable { case avx2, vnni }

    /// Whether this CPU has AVX-512 VNNI (and VL).
    public static let vnniAvailable = scope_cpu_has_vnni() != 0

    /// The kernels this build and CPU run (none in builds without the AVX2 kernels).
    public static var availableKernels: [Kernel] {
        #if SCOPE_AVX2
        return vnniAvailable ? [.avx2, .vnni] : [.avx2]
        #else
        return []
        #endif
    }

    /// The kernel the products use: VNNI where the CPU has it, unless `SCOPE_VNNI=0` (A/B measurements).
    static let defaultKernel: Kernel =
        vnniAvailable && ProcessInfo.processInfo.environment["SCOPE_VNNI"] != "0" ? .vnni : .avx2

    /// Whether this build's q8 products read a matrix's packed copy (AVX2 builds); other builds
    /// ignore it and read the file's layout.
    static var buildReadsPacked: Bool {
        @inline(__always) get {
            #if SCOPE_AVX2
            return true
            #else
            return false
            #endif
        }
    }

    /// Whether this build's q8 kernels read a matrix of this type and shape packed.
    public static func isPackable(_ type: GGMLType, rows: Int, cols: Int) -> Bool {
        Q4_1Packed.isPackable(type, rows: rows, cols: cols) || Q8_0Packed.isPackable(type, rows: rows, cols: cols)
    }

    /// Bytes of the packed copy (the same as the file's bytes of the matrix).
    static func byteCount(_ w: WeightMatrix) -> Int {
        w.type == .q4_1 ? Q4_1Packed.byteCount(rows: w.rows, cols: w.cols) : Q8_0Packed.byteCount(rows: w.rows, cols: w.cols)
    }

    /// Writes the packed layout of `w` to `out`.
    static func pack(_ w: WeightMatrix, into out: UnsafeMutableRawPointer) {
        if w.type == .q4_1 { Q4_1Packed.pack(w, into: out) } else { Q8_0Packed.pack(w, into: out) }
    }

    /// Row `r` of the packed copy of `w` in the file's layout, into `dst` (`w.rowBytes` bytes).
    static func unpackRow(_ w: WeightMatrix, _ packed: UnsafeRawPointer, row r: Int, into dst: UnsafeMutableRawPointer) {
        if w.type == .q4_1 {
            Q4_1Packed.unpackRow(packed, nb: w.cols / 32, row: r, into: dst)
        } else {
            Q8_0Packed.unpackRow(packed, nb: w.cols / 32, row: r, into: dst)
        }
    }

    /// Rows `rows` (whole groups of eight) of the packed copy of `w` times `tokens` rows of 8-bit
    /// activations: `y[t·yStride + i]`.
    @inline(__always)
    static func product(_ w: WeightMatrix, _ packed: UnsafeRawPointer, rows: Range<Int>, _ a: Q8View, tokens: Int,
                        _ y: UnsafeMutablePointer<Float>, yStride: Int) {
        if w.type == .q4_1 {
            Q4_1Packed.product(packed, nb: w.cols / 32, rows: rows, a, firstToken: 0, tokens: tokens, y, yStride: yStride)
        } else {
            Q8_0Packed.product(packed, nb: w.cols / 32, rows: rows, a, firstToken: 0, tokens: tokens, y, yStride: yStride)
        }
    }
}

/// Owns the packed copies of a model's matrices (freed with the store).
public final class PackedWeightStore: @unchecked Sendable {
    private var buffers: [UnsafeMutableRawPointer] = []
    /// Bytes of all packed copies.
    public private(set) var byteCount = 0

    public init() {}

    /// `w` reading a packed copy made now, or `w` itself when this build does not pack it.
    public func packed(_ w: WeightMatrix) -> WeightMatrix {
        guard PackedMatrix.isPackable(w.type, rows: w.rows, cols: w.cols), w.packed == nil else { return w }
        let bytes = PackedMatrix.byteCount(w)
        let out = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        PackedMatrix.pack(w, into: out)
        buffers.append(out)
        byteCount += bytes
        return w.reading(packed: UnsafeRawPointer(out))
    }

    deinit { for b in buffers { b.deallocate() } }
}
