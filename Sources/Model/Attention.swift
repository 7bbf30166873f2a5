import Foundation
import Kernels
import KVCache

/// Scaled dot-product attention of one query over the stored rows of one cache head (two passes,
/// used when a compression policy needs the probabilities).
///
/// Rows whose stored position is after the query's position are masked, so masks always come from
/// the positions in the cache, never from a counter. `probs` receives the softmax probabilities of
/// every stored row (0 for masked rows): this is what compression policies observe.
@inline(__always)
func attend(query q: UnsafePointer<Float>, position: Int32, head kv: HeadKV, headDim d: Int, scale: Float,
            probs: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
    let count = kv.count
    let m = kv.maskedScores(query: q, position: position, rows: 0..<count, headDim: d, scale: scale, into: probs)
    out.update(repeating: 0, count: d)
    guard m != -.infinity else { probs.update(repeating: 0, count: count); return }
    let sum = VectorMath.expShifted(probs, n: count, shift: m)
    let inv = 1 / sum
    for j in 0..<count { probs[j] *= inv }
    if let layout = kv.layout {
        AttentionKernel.accumulateValues(probs, values: kv.rawValues, layout: layout, count: count, headDim: d, into: out)
    } else {
        AttentionKernel.accumulateValues(probs, values: kv.floatValues, count: count, headDim: d, into: out)
    }
}

/// The stored rows of one storage head as the two-pass attention reads them: in place, in the
/// layer's `rowLayout` (f16 or q8_0/q4_0 rows, widened in registers), or as float32 rows (an f32
/// cache, or an f16 cache widened into a copy when the head dimension is not a multiple of 32).
/// Lives until `release`.
struct HeadKV {
    let count: Int
    let positions: UnsafePointer<Int32>
    /// The in-place layout of `rawKeys`/`rawValues`, or nil when `floatKeys`/`floatValues` are read.
    let layout: KVRowLayout?
    let rawKeys: UnsafeRawPointer, rawValues: UnsafeRawPointer
    let floatKeys: UnsafePointer<Float>, floatValues: UnsafePointer<Float>
    private let owned: FloatKV?

    init(_ layer: LayerKV, head: Int, headDim d: Int) {
        count = layer.count(head)
        positions = UnsafePointer(layer.positions(head))
        rawKeys = UnsafeRawPointer(layer.keys(head)); rawValues = UnsafeRawPointer(layer.values(head))
        layout = layer.rowLayout(headDim: d)
        if layout != nil {
            // Not read: the kernels take the raw rows.
            floatKeys = UnsafePointer(layer.keys(head)); floatValues = UnsafePointer(layer.values(head)); owned = nil
        } else {
            let kv = FloatKV(layer, head: head, count: count, headDim: d)
            floatKeys = kv.keys; floatValues = kv.values; owned = kv
        }
    }

    func release() { owned?.release() }

    /// Scaled, position-masked scores of one query over the stored rows `rows` (`AttentionKernel.maskedScores`,
    /// `rows.count` floats into `s`); returns the largest (−∞ when all are masked).
    @inline(__always)
    func maskedScores(query q: UnsafePointer<Float>, position: Int32, rows: Range<Int>, headDim d: Int, scale: Float,
                      into s: UnsafeMutablePointer<Float>) -> Float {
        let first = rows.lowerBound
        if let layout {
            return AttentionKernel.maskedScores(query: q, position: position, keys: rawKeys + first * layout.rowStride(headDim: d),
                                                layout: layout, positions: positions + first, count: rows.count, headDim: d,
                                                scale: scale, into: s)
        }
        return AttentionKernel.maskedScores(query: q, position: position, keys: floatKeys + first * d, positions: positions + first,
                                            count: rows.count, headDim: d, scale: scale, into: s)
    }
}

/// Float32 views of one storage head's keys and values: the cache rows themselves (f32 cache) or a
/// converted copy (f16, q8_0, q4_0 caches) that lives until `release`. For readers that need float
/// rows (scoring passes over the keys); attention reads the stored rows in place.
struct FloatKV {
    let keys: UnsafePointer<Float>
    let values: UnsafePointer<Float>
    private let owned: UnsafeMutablePointer<Float>?

    init(_ layer: LayerKV, head: Int, count: Int, headDim d: Int) {
        if layer.elementType == .f32 {
            keys = UnsafePointer(layer.keys(head)); values = UnsafePointer(layer.values(head)); owned = nil
        } else {
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, 2 * count * d))
            layer.floatRows(head, 0..<count, values: false, headDim: d, into: buffer)
            layer.floatRows(head, 0..<count, values: true, headDim: d, into: buffer + count * d)
            keys = UnsafePointer(buffer); values = UnsafePointer(buffer + count * d); owned = buffer
        }
    }

    func release() { owned?.deallocate() }
}

/// Scratch of one streaming-attention task: scores (one block's for each row of a group pass), the
/// running state (`m`, `l`, `o`) of its query rows, and, only for a layer whose rows the fused
/// kernels cannot read in place (an f16 cache with a head dimension that is not a multiple of 32),
/// a float32 key/value block. One allocation: a batched decoding step makes hundreds of these, and
/// the block alone would be 32 KiB each.
struct StreamingScratch {
    let scores: UnsafeMutablePointer<Float>
    let maxima: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>, outs: UnsafeMutablePointer<Float>
    /// Valid when `widens`.
    let keyBlock: UnsafeMutablePointer<Float>, valueBlock: UnsafeMutablePointer<Float>
    let widens: Bool
    /// Query rows and head dimension of the state.
    let rows: Int, headDim: Int

    init(rows: Int, headDim d: Int, layer: LayerKV) {
        let b = AttentionKernel.blockSize
        self.rows = rows; headDim = d
        widens = layer.rowLayout(headDim: d) == nil && layer.elementType != .f32
        let scoreRows = AttentionKernel.groupWidth
        scores = .allocate(capacity: scoreRows * b + rows * (2 + d) + (widens ? 2 * b * d : 0))
        maxima = scores + scoreRows * b; sums = maxima + rows; outs = sums + rows
        keyBlock = outs + rows * d; valueBlock = keyBlock + b * d
        reset()
    }

    /// Empties the running state (`m = −∞`, `l = 0`, `o = 0`) for a new key range.
    func reset() {
        maxima.initialize(repeating: -.infinity, count: rows)
        sums.initialize(repeating: 0, count: rows)
        outs.initialize(repeating: 0, count: rows * headDim)
    }

    func free() { scores.deallocate() }

    /// Streams key rows `range` of storage head `sh` through the query rows given by `rows`
    /// (`(query pointer, position)` per row), updating each row's state. Each block asks for the
    /// next one's rows while it works (timing only) when that block ends by `prefetchLimit` (default:
    /// the end of `range`; a task that streams the following range next passes that range's end).
    ///
    /// Float32, f16, q8_0 and q4_0 rows (head dimension a multiple of 32) go through the rows that
    /// see a block three at a time (`AttentionKernel.accumulateGroup`: each stored vector widened
    /// once for the three), with the same bits as one row at a time. Rows the fused kernels cannot
    /// read in place (f16 rows of another head dimension) are widened into a float block first
    /// and go one row at a time.
    func stream(_ layer: LayerKV, head sh: Int, range: Range<Int>, headDim d: Int, scale: Float,
                rows: [(UnsafePointer<Float>, Int32)], prefetchLimit: Int? = nil) {
        let limit = prefetchLimit ?? range.upperBound
        let prefetches = TimingSwitch.attentionPrefetch.isOn
        // f16 and block-format rows are widened in registers by the fused kernels when they can read them.
        let layout = layer.rowLayout(headDim: d)
        // The grouped kernels read float32 rows (`layout` nil) and every in-place layout.
        let groups = rows.count > 1 && d % 32 == 0 && (layout != nil || layer.elementType == .f32)
            && TimingSwitch.groupedAttention.isOn
        let keys = layer.keys(sh), values = layer.values(sh), pos = layer.positions(sh)
        var start = range.lowerBound
        var maxQuery = Int32.min
        for r in rows { maxQuery = max(maxQuery, r.1) }
        while start < range.upperBound {
            let n = min(AttentionKernel.blockSize, range.upperBound - start)
            var minKey = Int32.max
            for j in start..<(start + n) { minKey = min(minKey, pos[j]) }
            if minKey <= maxQuery {
                if groups {
                    let stride = layout?.rowStride(headDim: d) ?? 4 * d
                    let kb = UnsafeRawPointer(keys) + start * stride, vb = UnsafeRawPointer(values) + start * stride
                    let bytes = n * stride
                    let ahead = prefetches && start + 2 * n <= limit ? (keys: kb + bytes, values: vb + bytes) : nil
                    foldGrouped(rows, minKey: minKey, keys: kb, values: vb, layout: layout, positions: pos + start,
                                count: n, headDim: d, scale: scale, prefetch: ahead)
                } else if let layout {
                    let offset = start * layout.rowStride(headDim: d)
                    let kb = UnsafeRawPointer(keys) + offset, vb = UnsafeRawPointer(values) + offset
                    // Only the first query row of a group reads this block from memory. One row asks
                    // for the next, equally long block's rows so that the first finds them in the
                    // second-level cache: the second row, which works from the cache; in a task's
                    // first block the first row (the stream is cold: more requests in flight).
                    let bytes = n * layout.rowStride(headDim: d)
                    let ahead = prefetches && start + 2 * n <= limit ? (kb + bytes, vb + bytes) : nil
                    let prefetchRow = rows.count > 1 && start > range.lowerBound ? 1 : 0
                    for (i, r) in rows.enumerated() where minKey <= r.1 {
                        AttentionKernel.accumulate(query: r.0, position: r.1, keys: kb, values: vb, layout: layout, positions: pos + start,
                                                   count: n, headDim: d, scale: scale, maximum: &maxima[i], sum: &sums[i],
                                                   out: outs + i * d, scratch: scores, prefetch: i == prefetchRow ? ahead : nil)
                    }
                } else {
                    let kb: UnsafePointer<Float>, vb: UnsafePointer<Float>
                    if layer.elementType == .f32 {
                        kb = UnsafePointer(keys + start * d); vb = UnsafePointer(values + start * d)
                    } else {
                        precondition(widens, "StreamingScratch: made for a layer whose rows are read in place")
                        layer.floatRows(sh, start..<(start + n), values: false, headDim: d, into: keyBlock)
                        layer.floatRows(sh, start..<(start + n), values: true, headDim: d, into: valueBlock)
                        kb = UnsafePointer(keyBlock); vb = UnsafePointer(valueBlock)
                    }
                    for (i, r) in rows.enumerated() where minKey <= r.1 {
                        AttentionKernel.accumulate(query: r.0, position: r.1, keys: kb, values: vb, positions: pos + start,
                                                   count: n, headDim: d, scale: scale, maximum: &maxima[i], sum: &sums[i],
                                                   out: outs + i * d, scratch: scores)
                    }
                }
            }
            start += n
        }
    }

    /// Folds one block into the rows that see a key of it (position ≥ `minKey`), three at a time;
    /// a last two go as a pair, a last one alone. The first pass of the block prefetches `ahead`.
    private func foldGrouped(_ rows: [(UnsafePointer<Float>, Int32)], minKey: Int32, keys kb: UnsafeRawPointer,
                             values vb: UnsafeRawPointer, layout: KVRowLayout?, positions: UnsafePointer<Int32>, count n: Int,
                             headDim d: Int, scale: Float, prefetch ahead: (keys: UnsafeRawPointer, values: UnsafeRawPointer)?) {
        let b = AttentionKernel.blockSize
        var ahead = ahead
        @inline(__always) func row(_ i: Int, _ slot: Int) -> AttentionKernel.GroupRow {
            AttentionKernel.GroupRow(query: rows[i].0, position: rows[i].1, maximum: maxima + i, sum: sums + i,
                                     out: outs + i * d, scores: scores + slot * b)
        }
        func pass(_ i: Int, _ j: Int, _ k: Int?) {
            AttentionKernel.accumulateGroup((row(i, 0), row(j, 1), row(k ?? j, 2)), three: k != nil, layout: layout,
                                            keys: kb, values: vb, positions: positions, count: n, headDim: d, scale: scale,
                                            prefetch: ahead)
            ahead = nil
        }
        var first = -1, second = -1
        for i in rows.indices where minKey <= rows[i].1 {
            if first < 0 { first = i } else if second < 0 { second = i } else { pass(first, second, i); first = -1; second = -1 }
        }
        if second >= 0 {
            pass(first, second, nil)
        } else if first >= 0 {
            let r = rows[first]
            if let layout {
                AttentionKernel.accumulate(query: r.0, position: r.1, keys: kb, values: vb, layout: layout, positions: positions,
                                           count: n, headDim: d, scale: scale, maximum: &maxima[first], sum: &sums[first],
                                           out: outs + first * d, scratch: scores, prefetch: ahead)
            } else {
                AttentionKernel.accumulate(query: r.0, position: r.1, keys: kb.assumingMemoryBound(to: Float.self),
                                           values: vb.assumingMemoryBound(to: Float.self), positions: positions, count: n,
                                           headDim: d, scale: scale, maximum: &maxima[first], sum: &sums[first],
                                           out: outs + first * d, scratch: scores)
            }
        }
    }
}

extension LlamaModel {
    /// Decode attention of one new query per head over the layer's cache; when `probabilities` is
    /// given (`[H][count]`), each query head's probability row is written there.
    ///
    /// Without probabilities the keys are split into chunks (flash decoding): tasks of (storage
    /// head, key chunk) stream their keys once for every query head of the group, and the partial
    /// states are merged per head.
    func decodeAttention(layer: LayerKV, layerIndex: Int, q: UnsafeMutablePointer<Float>, position: Int32,
                         out: UnsafeMutablePointer<Float>, probabilities given: UnsafeMutablePointer<Float>?) {
        let H = config.headCount, d = config.headDim
        let scale = 1 / Float(d).squareRoot()
        let observer = self.observer.flatMap { $0.observes(layer: layerIndex, queryPosition: position) ? $0 : nil }
        // An observer needs the probability rows too; give it a buffer when the policy did not.
        let owned = given == nil && observer != nil ? UnsafeMutablePointer<Float>.allocate(capacity: H * layer.maxCount) : nil
        defer { owned?.deallocate() }
        if let probabilities = given ?? owned {
            pool.parallelFor(H) { h in
                let sh = layer.storageHead(forQueryHead: h)
                let count = layer.count(sh)
                let kv = HeadKV(layer, head: sh, headDim: d)
                defer { kv.release() }
                attend(query: q + h * d, position: position, head: kv, headDim: d, scale: scale,
                       probs: probabilities + h * count, out: out + h * d)
                observer?.observe(layer: layerIndex, head: h, queryPosition: position,
                                  probabilities: UnsafeBufferPointer(start: probabilities + h * count, count: count),
                                  keyPositions: UnsafeBufferPointer(start: layer.positions(sh), count: count))
            }
            return
        }
        flashDecode([FlashDecodeQuery(layer: layer, q: q, position: position, out: out)])
    }

    /// Flash decoding of one new query per head for several caches in one parallel job (the batched
    /// step gives one entry per sequence). Each entry's keys are split into chunks exactly as for a
    /// single sequence (the count depends only on its layer and the pool), each chunk streams its keys
    /// once for every query head of the group into its own partial state, and each head's partial
    /// states are merged in chunk order: an entry's output does not depend on the other entries.
    ///
    /// Who does what is the only difference between one entry and several, never the arithmetic.
    /// One entry: a task per (storage head, chunk), since the chunks are what spreads its work over
    /// the threads, and the merge after the job. Several: a task per (entry, storage head) that runs
    /// the head's chunks one after the other (one pass over its rows, each block asking for the next
    /// across chunk ends) and merges them itself: fewer, longer streams and no merge left for the
    /// calling thread: 2–7% faster per step at 4 sequences and up to 3% at 8 (runs of
    /// `scope bench --parallel 4,8 --interleave whole-head-tasks`, BENCHMARKS.md).
    func flashDecode(_ entries: [FlashDecodeQuery]) {
        let d = config.headDim
        let scale = 1 / Float(d).squareRoot()
        // Per entry: query heads per storage head, chunks, partial-state slots per (head, chunk).
        let groups = entries.map { $0.layer.queryHeads(headCount: config.headCount) }
        let chunks = entries.map { e in
            max(1, min((2 * pool.threadCount + e.layer.storageHeads - 1) / e.layer.storageHeads, e.layer.maxCount / 256))
        }
        let strides = groups.map { $0.map(\.count).max() ?? 1 }
        let wholeHeads = entries.count > 1 && TimingSwitch.wholeHeadTasks.isOn
        let tasksPerHead = wholeHeads ? entries.map { _ in 1 } : chunks
        var firstTask = [0], firstSlot = [0]
        for (i, e) in entries.enumerated() {
            firstTask.append(firstTask[i] + e.layer.storageHeads * tasksPerHead[i])
            firstSlot.append(firstSlot[i] + e.layer.storageHeads * chunks[i] * strides[i])
        }
        // Partial states: per entry [S][chunks][rows of the group] × (m, l, o[d]).
        let slots = firstSlot.last!
        let maxima = UnsafeMutablePointer<Float>.allocate(capacity: max(1, slots * (2 + d)))
        let sums = maxima + slots, outs = sums + slots
        defer { maxima.deallocate() }
        /// Merges the chunks of entry `i`'s storage head `sh` into the output rows of its query heads.
        func mergeHead(_ i: Int, _ sh: Int, buffer m: UnsafeMutablePointer<Float>) {
            let n = chunks[i], l = m + n, o = l + n
            for (r, h) in groups[i][sh].enumerated() {
                for c in 0..<n {
                    let base = firstSlot[i] + (sh * n + c) * strides[i] + r
                    m[c] = maxima[base]; l[c] = sums[base]
                    (o + c * d).update(from: outs + base * d, count: d)
                }
                AttentionKernel.merge(maxima: m, sums: l, outs: o, parts: n, headDim: d, into: entries[i].out + h * d)
            }
        }
        pool.parallelFor(firstTask.last!) { task in
            var i = 0
            while task >= firstTask[i + 1] { i += 1 }
            let e = entries[i], local = task - firstTask[i], n = chunks[i]
            let sh = local / tasksPerHead[i]
            let chunkRange = wholeHeads ? 0..<n : (local % n)..<(local % n + 1)
            let count = e.layer.count(sh), per = (count + n - 1) / n
            let rows = groups[i][sh].map { (UnsafePointer(e.q + $0 * d), e.position) }
            let scratch = StreamingScratch(rows: rows.count, headDim: d, layer: e.layer)
            defer { scratch.free() }
            for c in chunkRange {
                if c > chunkRange.lowerBound { scratch.reset() }
                scratch.stream(e.layer, head: sh, range: min(count, c * per)..<min(count, (c + 1) * per), headDim: d, scale: scale,
                               rows: rows, prefetchLimit: min(count, chunkRange.upperBound * per))
                let base = firstSlot[i] + (sh * n + c) * strides[i]
                (maxima + base).update(from: scratch.maxima, count: rows.count)
                (sums + base).update(from: scratch.sums, count: rows.count)
                (outs + base * d).update(from: scratch.outs, count: rows.count * d)
            }
            if wholeHeads {
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: n * (2 + d))
                defer { buffer.deallocate() }
                mergeHead(i, sh, buffer: buffer)
            }
        }
        if !wholeHeads {
            let most = chunks.max() ?? 1
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: most * (2 + d))
            defer { buffer.deallocate() }
            for (i, e) in entries.enumerated() {
                for sh in 0..<e.layer.storageHeads { mergeHead(i, sh, buffer: buffer) }
            }
        }
    }
}

/// One sequence's new query for `LlamaModel.flashDecode`: its layer cache, query rows (`[H][d]`),
/// position and output rows (`[H][d]`).
struct FlashDecodeQuery {
    let layer: LayerKV
    let q: UnsafeMutablePointer<Float>
    let position: Int32
    let out: UnsafeMutablePointer<Float>
}
