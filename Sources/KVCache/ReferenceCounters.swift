/// The class-level step counters of the reference (`current_decoding_step` S, `jump_step` J,
/// `jump_layer` Jl) and ALLKV's class-level `max_capacity_prompt`, scoped to one object that a
/// run owns instead of process globals (methods.md §3.5).
///
/// In reference semantics every `KVCache` of a run must share one instance: SnapKV and PyramidKV
/// never reset their counters, so they carry over from one sequence to the next (Q7). H2O and
/// ALLKV reset `S` and `J` (not `Jl`) at every prefill call. StreamingLLM and PyramidInfer have none.
public final class ReferenceCounters {
    /// One class's counters.
    public struct Counters: Sendable, Equatable, CustomStringConvertible {
        public var S = 0
        public var J = 0
        public var Jl = 0
        public init(S: Int = 0, J: Int = 0, Jl: Int = 0) { self.S = S; self.J = J; self.Jl = Jl }
        public var description: String { "{S:\(S), J:\(J), Jl:\(Jl)}" }
    }

    private var byClass: [PrefillMethodKind: Counters] = [:]
    /// `ALLKVCluster.max_capacity_prompt`: the last prompt length seen by an ALLKV prefill.
    public var allkvPromptLength = 0

    public init() {}

    /// Whether the reference class of `method` has class-level counters.
    public static func hasCounters(_ method: PrefillMethodKind) -> Bool {
        method.method.referenceClass?.hasCounters ?? false
    }

    /// The counters of a class (zero when never touched).
    public subscript(method: PrefillMethodKind) -> Counters {
        get { byClass[method] ?? Counters() }
        set { byClass[method] = newValue }
    }

    /// An independent copy with the same counters.
    public func copy() -> ReferenceCounters {
        let c = ReferenceCounters()
        c.byClass = byClass
        c.allkvPromptLength = allkvPromptLength
        return c
    }

    /// Forgets everything (a new process).
    public func reset() {
        byClass = [:]
        allkvPromptLength = 0
    }
}
