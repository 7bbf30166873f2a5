import CPrefetch
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

    /// Whether this build's q8 kernels read a matrix of this type and shape packed: Q4_1 or Q8_0,
    /// whole groups of eight rows, whole blocks (AVX2 builds).
    public static func isPackable(_ type: GGMLType, rows: Int, cols: Int) -> Bool {
        buildReadsPacked && (type == .q4_1 || type == .q8_0) && rows > 0 && rows % 8 == 0 && cols % 32 == 0
    }

    /// What the two layouts interleave of one row's block of 32 weights: `halves` f16 fields (d, and
    /// m for Q4_1) then `codeBytes` bytes of codes. A block of eight rows puts field h of row r at
    /// `16h + 2r` and code bytes 4j..<4j+4 of row r at `16·halves + 32j + 4r`.
    struct Layout {
        let halves: Int, codeBytes: Int
        var rowBlockBytes: Int { 2 * halves + codeBytes }
        var blockBytes: Int { 8 * rowBlockBytes }

        init(_ type: GGMLType) {
            precondition(type == .q4_1 || type == .q8_0, "no packed layout for \(type.name)")
            (halves, codeBytes) = type == .q4_1 ? (2, 16) : (1, 32)
        }

        /// Copies one row's block from the file's layout at `src` to lane `r` of the block of eight
        /// rows at `dst` (`toBlock`), or from lane `r` of the block at `src` to the row at `dst`.
        func copy(from src: UnsafeRawPointer, to dst: UnsafeMutableRawPointer, lane r: Int, toBlock: Bool) {
            @inline(__always) func move<T>(_ t: T.Type, rowOffset: Int, blockOffset: Int) {
                let (from, to) = toBlock ? (rowOffset, blockOffset) : (blockOffset, rowOffset)
                dst.storeBytes(of: src.loadUnaligned(fromByteOffset: from, as: T.self), toByteOffset: to, as: T.self)
            }
            for h in 0..<halves { move(UInt16.self, rowOffset: 2 * h, blockOffset: 16 * h + 2 * r) }
            for j in 0..<(codeBytes / 4) { move(UInt32.self, rowOffset: 2 * halves + 4 * j, blockOffset: 16 * halves + 32 * j + 4 * r) }
        }
    }

    /// Bytes of the packed copy (the same as the file's bytes of the matrix).
    static func byteCount(_ w: WeightMatrix) -> Int { w.rows / 8 * (w.cols / 32) * Layout(w.type).blockBytes }

    /// Writes the packed layout of `w` (Q4_1 or Q8_0, rows a multiple of 8) to `out`.
    static func pack(_ w: WeightMatrix, into out: UnsafeMutableRawPointer) {
        precondition(w.rows % 8 == 0 && w.cols % 32 == 0, "PackedMatrix.pack: \(w.name) is not packable")
        let layout = Layout(w.type), nb = w.cols / 32
        for g in 0..<(w.rows / 8) {
            for b in 0..<nb {
                for r in 0..<8 {
                    layout.copy(from: w.row(8 * g + r) + b * layout.rowBlockBytes, to: out + (g * nb + b) * layout.blockBytes,
                                lane: r, toBlock: true)
                }
            }
        }
    }

    /// Row `r` of the packed copy of `w` in the file's layout, into `dst` (`w.rowBytes` bytes).
    static func unpackRow(_ w: MatrixData, _ packed: UnsafeRawPointer, row r: Int, into dst: UnsafeMutableRawPointer) {
        let layout = Layout(w.type), nb = w.cols / 32
        for b in 0..<nb {
            layout.copy(from: packed + (r / 8 * nb + b) * layout.blockBytes, to: dst + b * layout.rowBlockBytes,
                        lane: r % 8, toBlock: false)
        }
    }

    /// Rows `rows` (whole groups of eight) of the packed copy of `w` times `tokens` rows of 8-bit
    /// activations: `y[t·yStride + i]`.
    @inline(__always)
    static func product(_ w: MatrixData, _ packed: UnsafeRawPointer, rows: Range<Int>, _ a: Q8View, tokens: Int,
                        _ y: UnsafeMutablePointer<Float>, yStride: Int) {
        if w.type == .q4_1 {
            Q4_1Packed.product(packed, nb: w.cols / 32, rows: rows, a, firstToken: 0, tokens: tokens, y, yStride: yStride)
        } else {
            Q8_0Packed.product(packed, nb: w.cols / 32, rows: rows, a, firstToken: 0, tokens: tokens, y, yStride: yStride)
        }
    }
}

extension PackedMatrix {
    /// Bytes ahead of the block being read that the AVX2 kernels prefetch on their first pass over a
    /// group (the VNNI kernels' distance): a task's rows are a few tens of kilobytes read once, and the
    /// hardware prefetchers stop at 4 KiB pages.
    static let prefetchBytes = 2048

    /// Prefetches the `bytes`-byte block `prefetchBytes` after `p`, when `on`.
    @inline(__always)
    static func prefetchAhead(_ p: UnsafeRawPointer, bytes: Int, _ on: Bool) {
        if on { scope_prefetch_range(p + prefetchBytes, bytes) }
    }

    /// The token loop of both packed formats' AVX2 products: for each group g of eight rows in `rows`
    /// (whole groups), whose blocks start at `base = packed + g·nb·blockBytes`, `quad(base, t, out)`
    /// for each four tokens t from `firstToken`, then `pair(base, t, pair, out)` for the last one to
    /// three, two at a time (`pair` false: token t alone). `out` is where token t's eight results go
    /// (`y + (t − firstToken)·yStride + 8g`; the next token's at `out + yStride`).
    @inline(__always)
    static func eachGroup(_ packed: UnsafeRawPointer, blockBytes: Int, nb: Int, rows: Range<Int>, firstToken: Int, tokens: Int,
                          _ y: UnsafeMutablePointer<Float>, yStride: Int,
                          quad: (_ base: UnsafeRawPointer, _ token: Int, _ out: UnsafeMutablePointer<Float>) -> Void,
                          pair: (_ base: UnsafeRawPointer, _ token: Int, _ pair: Bool, _ out: UnsafeMutablePointer<Float>) -> Void) {
        var g = rows.lowerBound / 8
        while 8 * g < rows.upperBound {
            let base = packed + g * nb * blockBytes
            var t = 0
            while t + 4 <= tokens {
                quad(base, firstToken + t, y + t * yStride + 8 * g)
                t += 4
            }
            while t < tokens {
                pair(base, firstToken + t, t + 1 < tokens, y + t * yStride + 8 * g)
                t += 2
            }
            g += 1
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
