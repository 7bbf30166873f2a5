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
/// Invariant: `serving ≤ nextTicket`. The lock is held iff `serving < nextTicket`, by the thread with
/// ticket `serving`; tickets `serving + 1 ..< nextTicket` are the waiters, in arrival order (tickets
/// are handed out under `condition`'s mutex). So the number of waiters needs no counter of its own.
final class FIFOLock: @unchecked Sendable {
    private let condition = NSCondition()
    private var nextTicket = 0
    private var serving = 0

    func lock() {
        condition.lock()
        let ticket = nextTicket
        nextTicket += 1
        while ticket != serving { condition.wait() }
        condition.unlock()
    }

    /// Threads waiting in `lock()` now (for tests).
    var waitingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return max(0, nextTicket - serving - 1)
    }

    func unlock() {
        condition.lock()
        serving += 1
        // Tickets beyond `serving` wait: each checks whether its ticket is now served. None, no wake-up.
        if nextTicket > serving { condition.broadcast() }
        condition.unlock()
    }
}
