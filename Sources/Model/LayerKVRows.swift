import Kernels
import KVCache

extension LayerKV {
    /// How the attention kernels read this layer's rows in place (rows of `d` values), or nil when
    /// they read float32 rows: an f32 cache, or an f16 cache whose head dimension is not a multiple
    /// of 32 (widened into a copy). Block-format rows are always read in place (`d % 32 == 0` is
    /// required when the cache is made).
    func rowLayout(headDim d: Int) -> KVRowLayout? {
        switch elementType {
        case .f32: return nil
        case .f16: return KVRowLayout.fusedKernelsSupport(headDim: d) ? .f16 : nil
        case .q8_0: return .q8_0(rowStride: 4 * headDim)
        case .q4_0: return .q4_0(rowStride: 4 * headDim)
        }
    }

    /// Writes float32 copies of rows `range` of storage head `head` (`d` values each; keys, or
    /// values when `values` is true) to `out` (`range.count × d` floats).
    func floatRows(_ head: Int, _ range: Range<Int>, values: Bool, headDim d: Int, into out: UnsafeMutablePointer<Float>) {
        let base = UnsafeRawPointer(values ? self.values(head) : keys(head))
        switch elementType {
        case .f32:
            out.update(from: base.assumingMemoryBound(to: Float.self) + range.lowerBound * d, count: range.count * d)
        case .f16:
            VectorMath.halfToFloat(base + 2 * range.lowerBound * d, out, count: range.count * d)
        case .q8_0, .q4_0:
            let stride = 4 * headDim, type = rowLayout(headDim: d)!.ggmlType
            for (i, r) in range.enumerated() { RowDot.dequantize(type, base + r * stride, into: out + i * d, count: d) }
        }
    }
}

extension LayerKV {
    /// Asks for the lines the next `append` writes (row `count` of every storage head: key, value
    /// and position) with intent to write. An append stores into fresh lines and otherwise waits for
    /// each of them; asked for before a layer's query/key/value product, they arrive during it.
    func prefetchNextAppend() {
        guard TimingSwitch.appendPrefetch.isOn else { return }
        for head in 0..<storageHeads where count(head) < capacity {
            let row = count(head)
            Prefetch.forWrite(UnsafeMutableRawPointer(keys(head) + row * headDim), bytes: 4 * headDim)
            Prefetch.forWrite(UnsafeMutableRawPointer(values(head) + row * headDim), bytes: 4 * headDim)
            Prefetch.forWrite(UnsafeMutableRawPointer(mutating: positions(head) + row), bytes: 4)
        }
    }
}
