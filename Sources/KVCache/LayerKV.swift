#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The keys, values and absolute positions of one layer, stored per storage head as contiguous
/// `[count, headDim]` float32 rows.
///
/// Storage heads are the KV heads (GQA-native, corrected semantics) or the query heads (reference
/// semantics: one copy of a KV head per query head, as `repeat_kv` before caching does).
/// Pointers returned by `keys`, `values` and `positions` stay valid until the next `append`,
/// `reserve`, or `KVCache.finishPrefill` of this layer (these may reallocate).
public final class LayerKV {
    /// Number of independent row lists in this layer.
    public let storageHeads: Int
    /// Float32 slots per stored row: the head dimension for `.f32` storage, half of it for `.f16`
    /// (two halves packed per slot; read such rows as raw IEEE half bytes).
    public let headDim: Int
    /// Element type of the stored K and V rows.
    public let elementType: KVElementType
    /// Query heads per KV head in the model.
    public let groupSize: Int
    /// True when every query head has its own copy (reference semantics).
    public let perQueryHead: Bool

    private var keyRows: [UnsafeMutablePointer<Float>]
    private var valueRows: [UnsafeMutablePointer<Float>]
    private var positionRows: [UnsafeMutablePointer<Int32>]
    private var counts: [Int]
    /// Rows each storage head can hold without reallocating.
    public private(set) var capacity: Int
    private let accountant: ByteAccountant
    /// Scratch rows for out-of-order compaction (allocated on first use, grown with capacity).
    private var scratch: UnsafeMutablePointer<Float>?
    private var scratchRows = 0
    private var scratchPositions: UnsafeMutablePointer<Int32>?

    /// `headDim` is the storage width in float32 slots (see `headDim`); with `.f16` a row holds
    /// `2 × headDim` halves.
    init(kvHeads: Int, groupSize: Int, perQueryHead: Bool, headDim: Int, initialCapacity: Int, accountant: ByteAccountant,
         elementType: KVElementType = .f32) {
        self.storageHeads = perQueryHead ? kvHeads * groupSize : kvHeads
        self.headDim = headDim
        self.elementType = elementType
        self.groupSize = groupSize
        self.perQueryHead = perQueryHead
        self.accountant = accountant
        let cap = Swift.max(1, initialCapacity)
        self.capacity = cap
        keyRows = (0..<storageHeads).map { _ in .allocate(capacity: cap * headDim) }
        valueRows = (0..<storageHeads).map { _ in .allocate(capacity: cap * headDim) }
        positionRows = (0..<storageHeads).map { _ in .allocate(capacity: cap) }
        counts = Array(repeating: 0, count: storageHeads)
    }

    deinit {
        for p in keyRows { p.deallocate() }
        for p in valueRows { p.deallocate() }
        for p in positionRows { p.deallocate() }
        scratch?.deallocate()
        scratchPositions?.deallocate()
    }

    /// The storage head a query head reads: `h` (reference) or `h / groupSize` (GQA-native).
    @inline(__always) public func storageHead(forQueryHead h: Int) -> Int {
        perQueryHead ? h : h / groupSize
    }

    /// The storage heads fed by one KV head.
    @inline(__always) public func storageHeads(forKVHead g: Int) -> Range<Int> {
        perQueryHead ? (g * groupSize)..<((g + 1) * groupSize) : g..<(g + 1)
    }

    /// Rows stored in a storage head.
    @inline(__always) public func count(_ head: Int) -> Int { counts[head] }

    /// Largest row count over the storage heads (all heads are equal under every method).
    public var maxCount: Int { counts.max() ?? 0 }

    /// Keys of a storage head: `[count, headDim]` contiguous rows.
    @inline(__always) public func keys(_ head: Int) -> UnsafeMutablePointer<Float> { keyRows[head] }

    /// Values of a storage head: `[count, headDim]` contiguous rows.
    @inline(__always) public func values(_ head: Int) -> UnsafeMutablePointer<Float> { valueRows[head] }

    /// Absolute token position of each row of a storage head.
    @inline(__always) public func positions(_ head: Int) -> UnsafePointer<Int32> { UnsafePointer(positionRows[head]) }

    /// Appends one token's key and value (each `headDim` floats; `2 × headDim` for `.f16`, converted
    /// on store) to every storage head fed by `kvHead`.
    /// Growth is amortised (capacity doubles when full).
    public func append(kvHead: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>, position: Int32) {
        precondition(kvHead >= 0 && kvHead * (perQueryHead ? groupSize : 1) < storageHeads, "kvHead \(kvHead) out of range")
        for head in storageHeads(forKVHead: kvHead) {
            let row = counts[head]
            if row == capacity { reserve(Swift.max(capacity * 2, 16)) }
            if elementType == .f16 {
                let kh = UnsafeMutableRawPointer(keyRows[head] + row * headDim), vh = UnsafeMutableRawPointer(valueRows[head] + row * headDim)
                for i in 0..<(2 * headDim) {
                    kh.storeBytes(of: Float16(key[i]).bitPattern, toByteOffset: 2 * i, as: UInt16.self)
                    vh.storeBytes(of: Float16(value[i]).bitPattern, toByteOffset: 2 * i, as: UInt16.self)
                }
            } else {
                (keyRows[head] + row * headDim).update(from: key, count: headDim)
                (valueRows[head] + row * headDim).update(from: value, count: headDim)
            }
            positionRows[head][row] = position
            counts[head] = row + 1
        }
        accountant.added(storageHeads(forKVHead: kvHead).count)
    }

    /// Makes room for at least `rows` rows per storage head (never drops stored rows).
    public func reserve(_ rows: Int) {
        if rows > capacity { setCapacity(rows) }
    }

    /// Sets the capacity to `max(rows, maxCount)`, reallocating (down or up) when it changes.
    func setCapacity(_ rows: Int) {
        let newCapacity = Swift.max(1, Swift.max(rows, maxCount))
        if newCapacity == capacity { return }
        for head in 0..<storageHeads {
            let n = counts[head]
            let k = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * headDim)
            k.update(from: keyRows[head], count: n * headDim)
            keyRows[head].deallocate()
            keyRows[head] = k
            let v = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * headDim)
            v.update(from: valueRows[head], count: n * headDim)
            valueRows[head].deallocate()
            valueRows[head] = v
            let p = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
            p.update(from: positionRows[head], count: n)
            positionRows[head].deallocate()
            positionRows[head] = p
        }
        capacity = newCapacity
        if scratchRows > newCapacity {
            scratch?.deallocate(); scratch = nil
            scratchPositions?.deallocate(); scratchPositions = nil
            scratchRows = 0
        }
    }

    /// Keeps only `rows` (indices into the current rows, each at most once) of a storage head,
    /// in that order, in place. Ascending lists are compacted by moving runs; other orders go
    /// through a reusable scratch buffer.
    public func compact(_ head: Int, keeping rows: [Int]) {
        rows.withUnsafeBufferPointer { compact(head, keeping: $0) }
    }

    /// `compact(_:keeping:)` over a buffer of row indices.
    public func compact(_ head: Int, keeping rows: UnsafeBufferPointer<Int>) {
        let old = counts[head]
        precondition(rows.count <= old, "compact keeps \(rows.count) rows of \(old)")
        var ascending = true
        var previous = -1
        for r in rows {
            precondition(r >= 0 && r < old, "compact: row \(r) out of range 0..<\(old)")
            if r <= previous { ascending = false }
            previous = r
        }
        let d = headDim
        let k = keyRows[head], v = valueRows[head], p = positionRows[head]
        if ascending {
            var dst = 0
            while dst < rows.count && rows[dst] == dst { dst += 1 }   // untouched leading rows
            var i = dst
            while i < rows.count {
                // a run of consecutive source rows moves with one memmove
                var j = i + 1
                while j < rows.count && rows[j] == rows[j - 1] + 1 { j += 1 }
                let src = rows[i], len = j - i
                memmove(k + dst * d, k + src * d, len * d * MemoryLayout<Float>.size)
                memmove(v + dst * d, v + src * d, len * d * MemoryLayout<Float>.size)
                memmove(p + dst, p + src, len * MemoryLayout<Int32>.size)
                dst += len
                i = j
            }
        } else {
            var lead = 0
            while lead < rows.count && rows[lead] == lead { lead += 1 }
            let moved = rows.count - lead
            ensureScratch(moved)
            let s = scratch!, sp = scratchPositions!
            @inline(__always) func gather(_ data: UnsafeMutablePointer<Float>) {
                for i in 0..<moved {
                    (s + i * d).update(from: data + rows[lead + i] * d, count: d)
                }
                (data + lead * d).update(from: s, count: moved * d)
            }
            gather(k)
            gather(v)
            for i in 0..<moved { sp[i] = p[rows[lead + i]] }
            (p + lead).update(from: sp, count: moved)
        }
        counts[head] = rows.count
        accountant.removed(old - rows.count)
    }

    /// Drops every row of every storage head.
    public func removeAll() {
        let total = counts.reduce(0, +)
        for h in 0..<storageHeads { counts[h] = 0 }
        accountant.removed(total)
    }

    private func ensureScratch(_ rows: Int) {
        if rows <= scratchRows { return }
        scratch?.deallocate()
        scratchPositions?.deallocate()
        let n = Swift.max(rows, capacity)
        scratch = .allocate(capacity: n * headDim)
        scratchPositions = .allocate(capacity: n)
        scratchRows = n
    }

    /// Bytes allocated for K, V and positions (capacity, not stored rows; scratch included).
    public var bytesReserved: Int {
        storageHeads * capacity * (2 * headDim * 4 + 4) + scratchRows * (headDim * 4 + 4)
    }
}
