import Foundation
import Model

/// An `AttentionObserver` that stores, for chosen (layer, query position) pairs, every query head's
/// probability row indexed by absolute key position (0...query). Storage is preallocated per
/// (layer, query, head), so concurrent calls from worker threads never share a slot.
public final class RowRecorder: AttentionObserver, @unchecked Sendable {
    /// The recorded layers and query positions.
    public let layers: [Int]
    public let queryPositions: [Int32]
    public let heads: [Int]
    private let layerIndex: [Int: Int]
    private let queryIndex: [Int32: Int]
    private let headIndex: [Int: Int]
    private var rows: [UnsafeMutablePointer<Float>] = []
    private var seen: UnsafeMutablePointer<Bool>

    /// Records `heads` (query heads) of `layers` at `queryPositions`.
    public init(layers: [Int], queryPositions: [Int32], heads: [Int]) {
        self.layers = layers
        self.queryPositions = queryPositions
        self.heads = heads
        layerIndex = Dictionary(layers.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        queryIndex = Dictionary(queryPositions.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        headIndex = Dictionary(heads.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let slots = layers.count * queryPositions.count * heads.count
        seen = .allocate(capacity: max(slots, 1))
        seen.initialize(repeating: false, count: max(slots, 1))
        for _ in layers {
            for q in queryPositions {
                for _ in heads {
                    let row = UnsafeMutablePointer<Float>.allocate(capacity: Int(q) + 1)
                    row.initialize(repeating: 0, count: Int(q) + 1)
                    rows.append(row)
                }
            }
        }
    }

    deinit {
        for r in rows { r.deallocate() }
        seen.deallocate()
    }

    private func slot(_ l: Int, _ q: Int, _ h: Int) -> Int { (l * queryPositions.count + q) * heads.count + h }

    public func observes(layer: Int, queryPosition: Int32) -> Bool {
        layerIndex[layer] != nil && queryIndex[queryPosition] != nil
    }

    public func observe(layer: Int, head: Int, queryPosition: Int32,
                        probabilities: UnsafeBufferPointer<Float>, keyPositions: UnsafeBufferPointer<Int32>) {
        guard let l = layerIndex[layer], let q = queryIndex[queryPosition], let h = headIndex[head] else { return }
        let s = slot(l, q, h)
        let row = rows[s]
        let limit = Int(queryPosition)
        for i in 0..<min(probabilities.count, keyPositions.count) {
            let p = Int(keyPositions[i])
            if p >= 0 && p <= limit { row[p] = probabilities[i] }
        }
        seen[s] = true
    }

    /// Whether every head of (layer, query) was reported.
    public func recorded(layer: Int, queryPosition: Int32) -> Bool {
        guard let l = layerIndex[layer], let q = queryIndex[queryPosition] else { return false }
        return heads.indices.allSatisfy { seen[slot(l, q, $0)] }
    }

    /// One head's row over key positions 0...query (nil if not recorded).
    public func row(layer: Int, queryPosition: Int32, head: Int) -> [Float]? {
        guard let l = layerIndex[layer], let q = queryIndex[queryPosition], let h = headIndex[head],
              seen[slot(l, q, h)] else { return nil }
        return Array(UnsafeBufferPointer(start: rows[slot(l, q, h)], count: Int(queryPosition) + 1))
    }

    /// The mean over the recorded heads of the row (nil unless every head was recorded).
    public func headAveragedRow(layer: Int, queryPosition: Int32) -> [Double]? {
        guard recorded(layer: layer, queryPosition: queryPosition) else { return nil }
        var sum = [Double](repeating: 0, count: Int(queryPosition) + 1)
        for h in heads {
            guard let r = row(layer: layer, queryPosition: queryPosition, head: h) else { return nil }
            for i in r.indices { sum[i] += Double(r[i]) }
        }
        let n = Double(heads.count)
        return sum.map { $0 / n }
    }
}
