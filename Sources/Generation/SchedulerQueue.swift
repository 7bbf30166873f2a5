import Foundation

/// A submitted request waiting for admission.
struct PendingSequence {
    let id: UInt64
    let request: SequenceRequest
    let worstCaseBytes: Int
    let continuation: AsyncThrowingStream<SequenceEvent, Error>.Continuation
    let submitted: Double
}

/// The state shared by the callers of `BatchScheduler` and its engine thread, under one lock:
/// the waiting queue, cancellations, the reservation of admitted sequences and the metrics.
final class SchedulerQueue: @unchecked Sendable {
    let parallel: Int
    let budget: Int?
    let maxQueue: Int?
    private let condition = NSCondition()
    private var waiting: [PendingSequence] = []
    private var live: Set<UInt64> = []
    private var cancelled: Set<UInt64> = []
    private var nextID: UInt64 = 1
    private var accepting = true
    private var stopping = false
    private var reserved = 0
    private var running = 0
    private var bytesInUse = 0
    private var bytesPeak = 0
    private var steps = 0
    private var stepRows = 0
    let promptCacheLimit: Int
    private var promptCacheBytes = 0
    private var promptCacheEntries = 0
    private var promptCacheHits = 0
    private var promptCacheHitTokens = 0

    init(parallel: Int, budget: Int?, maxQueue: Int?, promptCacheLimit: Int) {
        self.parallel = parallel
        self.budget = budget
        self.maxQueue = maxQueue
        self.promptCacheLimit = promptCacheLimit
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    /// Enqueues a validated request; throws when shutting down or the queue is full.
    func enqueue(_ request: SequenceRequest, worstCaseBytes: Int,
                 continuation: AsyncThrowingStream<SequenceEvent, Error>.Continuation) throws -> UInt64 {
        try locked {
            guard accepting else { throw SchedulerError.shuttingDown }
            if let maxQueue, waiting.count >= maxQueue { throw SchedulerError.queueFull(limit: maxQueue) }
            let id = nextID
            nextID += 1
            waiting.append(PendingSequence(id: id, request: request, worstCaseBytes: worstCaseBytes,
                                           continuation: continuation, submitted: monotonicNow()))
            live.insert(id)
            condition.signal()
            return id
        }
    }

    /// Marks a queued or running sequence cancelled (ignored once it has finished).
    func cancel(_ id: UInt64) {
        locked {
            guard live.contains(id) else { return }
            cancelled.insert(id)
            condition.signal()
        }
    }

    /// Cancels every live sequence and stops accepting.
    func cancelAll() {
        locked {
            accepting = false
            cancelled.formUnion(live)
            condition.signal()
        }
    }

    func stopAccepting() { locked { accepting = false } }

    /// Tells the engine thread to exit once nothing is live.
    func stop() {
        locked {
            accepting = false
            stopping = true
            cancelled.formUnion(live)
            condition.signal()
        }
    }

    var isIdle: Bool { locked { live.isEmpty } }

    /// What the engine does next: waits while there is nothing to do, then returns the ids cancelled
    /// since the last call, the waiting requests that were cancelled (`dropped`, never admitted) and
    /// the requests admitted now (FIFO while fewer than `parallel` run and the head of the queue fits
    /// the budget). The prompt cache lives in the budget's free part: when an admission needs its
    /// room, `shrinkPromptCache(target)` (run here, on the engine thread; it must not call the queue)
    /// drops entries until it holds at most `target` bytes and returns its size and entry count.
    /// Returns nil when the engine must exit.
    func nextWork(active: Int, shrinkPromptCache: (_ target: Int) -> (bytes: Int, entries: Int) = { _ in (0, 0) })
        -> (cancelled: Set<UInt64>, dropped: [PendingSequence], admitted: [PendingSequence])? {
        locked {
            while active == 0 && waiting.isEmpty && cancelled.isEmpty && !stopping { condition.wait() }
            if stopping && live.isEmpty && active == 0 { return nil }
            let gone = cancelled
            cancelled.removeAll()
            var dropped: [PendingSequence] = []
            waiting.removeAll { p in
                if gone.contains(p.id) { dropped.append(p); return true }
                return false
            }
            var admitted: [PendingSequence] = []
            var count = active
            while let head = waiting.first, count < parallel,
                  budget.map({ reserved + head.worstCaseBytes <= $0 }) ?? true {
                if let budget, reserved + head.worstCaseBytes + promptCacheBytes > budget {
                    (promptCacheBytes, promptCacheEntries) = shrinkPromptCache(budget - reserved - head.worstCaseBytes)
                }
                waiting.removeFirst()
                reserved += head.worstCaseBytes
                running += 1
                count += 1
                admitted.append(head)
            }
            return (gone, dropped, admitted)
        }
    }

    /// A sequence finished (or was cancelled before admission when `wasAdmitted` is false).
    func finished(_ id: UInt64, worstCaseBytes: Int, wasAdmitted: Bool) {
        locked {
            live.remove(id)
            cancelled.remove(id)
            if wasAdmitted {
                reserved -= worstCaseBytes
                running -= 1
            }
        }
    }

    /// Records the live caches' bytes after a step.
    func recordStep(bytesInUse: Int, peakBound: Int, decodeRows: Int) {
        locked {
            self.bytesInUse = bytesInUse
            bytesPeak = max(bytesPeak, peakBound)
            if decodeRows > 0 { steps += 1; stepRows += decodeRows }
        }
    }

    /// The bytes the prompt cache may hold now: what the admitted sequences' reservations leave of
    /// the budget (unbounded without one).
    var promptCacheRoom: Int { locked { budget.map { Swift.max(0, $0 - reserved) } ?? .max } }

    /// Records the prompt cache's size after a change, and a hit of `hitTokens` prompt tokens.
    func recordPromptCache(bytes: Int, entries: Int, hitTokens: Int?) {
        locked {
            promptCacheBytes = bytes
            promptCacheEntries = entries
            if let hitTokens { promptCacheHits += 1; promptCacheHitTokens += hitTokens }
        }
    }

    var metrics: SchedulerMetrics {
        locked {
            SchedulerMetrics(running: running, queued: waiting.count, kvBytesInUse: bytesInUse, kvBytesPeak: bytesPeak,
                             kvBytesReserved: reserved, kvBudgetBytes: budget, parallel: parallel,
                             decodeSteps: steps, decodeRows: stepRows, promptCacheLimitBytes: promptCacheLimit,
                             promptCacheBytes: promptCacheBytes, promptCacheEntries: promptCacheEntries,
                             promptCacheHits: promptCacheHits, promptCacheHitTokens: promptCacheHitTokens)
        }
    }
}

/// Seconds of a monotonic clock.
func monotonicNow() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}
