/// Watches generated text for OpenAI `stop` strings.
///
/// Text that might be the start of a stop string is held back until it is known not to be, so the
/// text released never contains any part of a stop string (OpenAI returns the text before it).
struct StopStringMatcher: Sendable {
    private let stops: [[Unicode.Scalar]]
    private var pending: [Unicode.Scalar] = []
    /// Set once a stop string was seen; later input is ignored.
    private(set) var stopped = false

    init(_ stops: [String]) {
        self.stops = stops.map { Array($0.unicodeScalars) }.filter { !$0.isEmpty }
    }

    /// Adds newly generated text; returns the text that is now safe to release.
    mutating func append(_ text: String) -> String {
        guard !stopped else { return "" }
        if stops.isEmpty { return text }
        pending.append(contentsOf: text.unicodeScalars)
        if let start = earliestMatch() {
            stopped = true
            let released = String(String.UnicodeScalarView(pending[..<start]))
            pending = []
            return released
        }
        let keep = longestSuffixThatStartsAStop()
        let released = String(String.UnicodeScalarView(pending[..<(pending.count - keep)]))
        pending.removeFirst(pending.count - keep)
        return released
    }

    /// The held-back text, released at the end of generation when no stop string followed.
    mutating func flush() -> String {
        defer { pending = [] }
        return stopped ? "" : String(String.UnicodeScalarView(pending))
    }

    /// The first position in `pending` where a whole stop string begins.
    private func earliestMatch() -> Int? {
        var best: Int?
        for stop in stops where stop.count <= pending.count {
            var i = 0
            while i + stop.count <= pending.count, i < (best ?? Int.max) {
                if pending[i..<(i + stop.count)].elementsEqual(stop) { best = i; break }
                i += 1
            }
        }
        return best
    }

    /// The length of the longest proper suffix of `pending` that is a prefix of a stop string.
    private func longestSuffixThatStartsAStop() -> Int {
        var longest = 0
        for stop in stops {
            var length = min(stop.count - 1, pending.count)
            while length > longest {
                if pending[(pending.count - length)...].elementsEqual(stop[..<length]) { longest = length; break }
                length -= 1
            }
        }
        return longest
    }
}
