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
/// In reference semantics the cache order (top-k order, which the slot-range rules depend on) is
/// kept as a logical slot → physical row map, so reordering never moves rows: `keys`, `values`
/// and `positions` are in physical order (attention does not depend on the order), while
/// `compact` takes logical slots and `orderedPositions` reads the logical order. In corrected
/// semantics logical and physical order are the same.
/// Pointers returned by `keys`, `values` and `positions` stay valid until the next `append`,
/// `reserve`, or `KVCache.finishPrefill` of this layer (these may reallocate).
public final class LayerKV {
    /// Number of independent row lists in this layer.
    public let storageHeads: Int
    /// Float32 slots per stored row: the head dimension for `.f32` storage, half of it for `.f16`
    /// (two halves packed per slot; read such rows as raw IEEE half bytes), and
    /// `elementType.storageSlots(headDim:)` for the block formats (read rows as raw blocks: row `j`
    /// starts at byte `4 × headDim × j`).
    public let headDim: Int
    /// Values (model head dimension) per stored K or V row.
    public let rowValues: Int
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
    /// Whether a logical order is kept apart from the physical rows (reference semantics).
    public let tracksOrder: Bool
    /// Per storage head: physical row of each logical slot (only when `tracksOrder`).
    private var order: [[Int]]
    /// Per storage head: logical slot of each physical row (inverse of `order`).
    private var slotOf: [[Int]]
    private var keptMark: [Bool] = []
    private var evictRows: [Int] = []
    private var physical: [Int] = []
    /// Rows each storage head can hold without reallocating.
    public private(set) var capacity: Int
    private let accountant: ByteAccountant
    /// Scratch rows for out-of-order compaction (allocated on first use, grown with capacity).
    private var scratch: UnsafeMutablePointer<Float>?
    private var scratchRows = 0
    private var scratchPositions: UnsafeMutablePointer<Int32>?

    /// `valuesPerRow` is the model's head dimension (`elementType.unsupportedReason` must be nil);
    /// the storage width in float32 slots follows from the element type (see `headDim`).
    init(kvHeads: Int, groupSize: Int, perQueryHead: Bool, valuesPerRow: Int, initialCapacity: Int, accountant: ByteAccountant,
         elementType: KVElementType = .f32) {
        self.storageHeads = perQueryHead ? kvHeads * groupSize : kvHeads
        let headDim = elementType.storageSlots(headDim: valuesPerRow)
        self.headDim = headDim
        self.rowValues = valuesPerRow
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
        tracksOrder = perQueryHead
        order = Array(repeating: [], count: perQueryHead ? storageHeads : 0)
        slotOf = order
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

    /// Appends one token's key and value (each `rowValues` floats, converted to `elementType` on
    /// store) to every storage head fed by `kvHead`.
    /// Growth is amortised (capacity doubles when full).
    public func append(kvHead: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>, position: Int32) {
        precondition(kvHead >= 0 && kvHead * (perQueryHead ? groupSize : 1) < storageHeads, "kvHead \(kvHead) out of range")
        for head in storageHeads(forKVHead: kvHead) {
            let row = counts[head]
            if row == capacity { reserve(Swift.max(capacity * 2, 16)) }
            let kh = UnsafeMutableRawPointer(keyRows[head] + row * headDim), vh = UnsafeMutableRawPointer(valueRows[head] + row * headDim)
            switch elementType {
            case .f32:
                (keyRows[head] + row * headDim).update(from: key, count: headDim)
                (valueRows[head] + row * headDim).update(from: value, count: headDim)
            case .f16:
                for i in 0..<rowValues {
                    kh.storeBytes(of: Float16(key[i]).bitPattern, toByteOffset: 2 * i, as: UInt16.self)
                    vh.storeBytes(of: Float16(value[i]).bitPattern, toByteOffset: 2 * i, as: UInt16.self)
                }
            case .q8_0, .q4_0:
                KVBlockQuantizer.quantizeRow(elementType, key, count: rowValues, into: kh)
                KVBlockQuantizer.quantizeRow(elementType, value, count: rowValues, into: vh)
            }
            positionRows[head][row] = position
            counts[head] = row + 1
            if tracksOrder { order[head].append(row); slotOf[head].append(row) }
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
        if tracksOrder {
            var lead = 0
            while lead < rows.count && rows[lead] == lead { lead += 1 }
            compactTracked(head, prefix: lead, rest: UnsafeBufferPointer(rebasing: rows[lead...]))
            return
        }
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

    /// Keeps slots `0..<prefix` unchanged, then `rest` (slots ≥ prefix, each at most once) in that
    /// order. The fast path for decoding rules that freeze a prefix.
    public func compact(_ head: Int, keepingPrefix prefix: Int, then rest: UnsafeBufferPointer<Int>) {
        if tracksOrder {
            compactTracked(head, prefix: prefix, rest: rest)
        } else {
            compact(head, keeping: Array(0..<prefix) + Array(rest))
        }
    }

    /// Logical-order compaction: evicts the physical rows of the dropped slots by moving tail rows
    /// into the holes (O(dropped × headDim) data movement), then rewrites the slot map of the
    /// slots at and after `prefix` (O(count − prefix)).
    private func compactTracked(_ head: Int, prefix lead: Int, rest: UnsafeBufferPointer<Int>) {
        let old = counts[head]
        let newCount = lead + rest.count
        precondition(lead >= 0 && newCount <= old, "compact keeps \(newCount) rows of \(old)")
        if keptMark.count < old { keptMark = Array(repeating: false, count: Swift.max(old, keptMark.count * 2)) }
        keptMark.withUnsafeMutableBufferPointer { mark in
            order[head].withUnsafeMutableBufferPointer { ord in
                for j in lead..<old { mark[j] = false }
                for r in rest {
                    precondition(r >= lead && r < old, "compact: slot \(r) out of range \(lead)..<\(old)")
                    precondition(!mark[r], "compact: slot \(r) listed twice")
                    mark[r] = true
                }
                evictRows.removeAll(keepingCapacity: true)
                for j in lead..<old where !mark[j] { evictRows.append(ord[j]) }
            }
        }
        evictRows.sort()
        slotOf[head].withUnsafeMutableBufferPointer { inv in
            order[head].withUnsafeMutableBufferPointer { ord in
                evictRows.withUnsafeBufferPointer { ev in
                    fillHoles(head, evict: ev) { tail, hole in
                        let slot = inv[tail]
                        ord[slot] = hole
                        inv[hole] = slot
                    }
                }
                physical.removeAll(keepingCapacity: true)
                for r in rest { physical.append(ord[r]) }
                for (i, row) in physical.enumerated() {
                    ord[lead + i] = row
                    inv[row] = lead + i
                }
            }
        }
        order[head].removeLast(old - newCount)
        slotOf[head].removeLast(old - newCount)
    }

    /// Positions in cache (logical) order.
    public func orderedPositions(_ head: Int) -> [Int] {
        let p = positionRows[head]
        if tracksOrder { return order[head].map { Int(p[$0]) } }
        return (0..<counts[head]).map { Int(p[$0]) }
    }

    /// The physical row holding logical slot `slot`.
    @inline(__always) public func physicalRow(_ head: Int, slot: Int) -> Int {
        tracksOrder ? order[head][slot] : slot
    }

    /// Removes physical `rows` (ascending, distinct) from a storage head by moving the last kept
    /// rows into the holes: O(removed × headDim), row order not preserved (corrected semantics).
    public func remove(_ head: Int, rows evict: [Int]) {
        precondition(!tracksOrder, "remove: use compact when a logical order is kept")
        evict.withUnsafeBufferPointer { fillHoles(head, evict: $0) { _, _ in } }
    }

    @inline(__always)
    private func fillHoles(_ head: Int, evict: UnsafeBufferPointer<Int>, moved: (_ from: Int, _ to: Int) -> Void) {
        let count = counts[head], e = evict.count
        if e == 0 { return }
        precondition(e <= count && evict[0] >= 0 && evict[e - 1] < count, "remove: rows out of range 0..<\(count)")
        let newCount = count - e
        let d = headDim
        let k = keyRows[head], v = valueRows[head], p = positionRows[head]
        var tail = count - 1, last = e - 1
        for hole in evict {
            if hole >= newCount { break }
            while last >= 0 && evict[last] == tail { last -= 1; tail -= 1 }
            (k + hole * d).update(from: k + tail * d, count: d)
            (v + hole * d).update(from: v + tail * d, count: d)
            p[hole] = p[tail]
            moved(tail, hole)
            tail -= 1
        }
        counts[head] = newCount
        accountant.removed(e)
    }

    /// Fills this empty layer with copies of `source`'s rows (same physical rows, positions and
    /// logical order), with room for at least `capacity` rows per storage head.
    func copyRows(from source: LayerKV, capacity rows: Int) {
        copy(from: source, leading: nil, capacity: rows)
    }

    /// Fills this empty layer with copies of `source`'s first `count` rows of every storage head,
    /// which must be positions `0..<count` in physical and logical order (checked; false when not).
    func copyLeadingRows(from source: LayerKV, count: Int, capacity rows: Int) -> Bool {
        for head in 0..<storageHeads {
            guard source.counts[head] >= count else { return false }
            for j in 0..<count where source.positionRows[head][j] != Int32(j) || (tracksOrder && source.order[head][j] != j) {
                return false
            }
        }
        copy(from: source, leading: count, capacity: rows)
        return true
    }

    private func copy(from source: LayerKV, leading: Int?, capacity rows: Int) {
        precondition(maxCount == 0 && source.storageHeads == storageHeads && source.headDim == headDim
                     && source.elementType == elementType, "copying rows needs an empty layer of the same layout")
        setCapacity(Swift.max(rows, leading ?? source.maxCount))
        for head in 0..<storageHeads {
            let n = leading ?? source.counts[head]
            keyRows[head].update(from: source.keyRows[head], count: n * headDim)
            valueRows[head].update(from: source.valueRows[head], count: n * headDim)
            positionRows[head].update(from: source.positionRows[head], count: n)
            counts[head] = n
            if tracksOrder {
                order[head] = leading == nil ? source.order[head] : Array(0..<n)
                slotOf[head] = leading == nil ? source.slotOf[head] : Array(0..<n)
            }
        }
        accountant.added(counts.reduce(0, +))
    }

    /// Drops every row of every storage head.
    public func removeAll() {
        let total = counts.reduce(0, +)
        for h in 0..<storageHeads { counts[h] = 0 }
        for h in order.indices { order[h].removeAll(keepingCapacity: true); slotOf[h].removeAll(keepingCapacity: true) }
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
