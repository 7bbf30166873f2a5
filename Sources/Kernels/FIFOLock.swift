import Foundation

/// A lock that admits the threads waiting for it in their order of arrival (a ticket lock on a
/// condition variable).
///
/// `ThreadPool` serialises the `parallelFor` calls of several threads with it. With a plain mutex,
/// a thread that unlocks and locks again at once (a decode step issues hundreds of jobs back to
/// back) keeps winning, and another caller of the pool (a second generation on the same pool, the
/// test suites that share `ThreadPool.shared`) waited for up to a minute. Here a caller waits at
/// most for the jobs of the callers that arrived before it.
///
/// Invariant: `serving ≤ nextTicket`; the thread holding ticket `serving` owns the lock, and
/// tickets are handed out under `condition`'s mutex in arrival order.
final class FIFOLock: @unchecked Sendable {
    private let condition = NSCondition()
    private var nextTicket = 0
    private var serving = 0
    private var waiting = 0

    func lock() {
        condition.lock()
        let ticket = nextTicket
        nextTicket += 1
        if ticket != serving {
            waiting += 1
            while ticket != serving { condition.wait() }
            waiting -= 1
        }
        condition.unlock()
    }

    /// Threads waiting in `lock()` now (for tests).
    var waitingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return waiting
    }

    func unlock() {
        condition.lock()
        serving += 1
        // Every waiter checks whether its ticket is served; no waiter, no wake-up.
        if waiting > 0 { condition.broadcast() }
        condition.unlock()
    }
}
