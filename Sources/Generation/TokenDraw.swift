/// How one sequence draws its tokens, in order: the logit changes of its sampling options
/// (repetition penalty over the prompt and the tokens drawn so far; frequency and presence penalties
/// over the tokens drawn; the bias), then its JSON constraint's mask, then the sampler. The model's
/// logits are never written: the changes go to a copy, and without changes or constraint the
/// logits reach the sampler as they are (no copy; the same token as `Sampler` alone).
public struct TokenDraw {
    private let options: SamplingOptions
    private var sampler: Sampler
    private(set) var constraint: JSONConstraint?
    /// Draws of each token so far (kept only when a penalty needs them).
    private var counts: [Int32: Int] = [:]
    /// The prompt's tokens and those drawn (kept only for the repetition penalty).
    private var seen: Set<Int32> = []
    private var scratch: [Float] = []

    public init(_ options: SamplingOptions, prompt: [Int32] = []) {
        self.options = options
        sampler = Sampler(options)
        if options.repetitionPenalty != 1 { seen = Set(prompt) }
    }

    init(_ options: SamplingOptions, prompt: [Int32], constraint: JSONConstraint?) {
        self.init(options, prompt: prompt)
        self.constraint = constraint
    }

    /// Whether the constraint's JSON object has closed (the sequence is done).
    var isComplete: Bool { constraint?.isComplete ?? false }

    /// The next token; nil when the constraint leaves no token that can continue the text.
    public mutating func next(_ logits: UnsafeBufferPointer<Float>) -> Int32? {
        if options.changesNoLogit && constraint == nil { return sampler.sample(logits) }
        if scratch.count != logits.count { scratch = [Float](repeating: 0, count: logits.count) }
        let (options, seen, counts, mask) = (options, seen, counts, constraint)
        let allowed = scratch.withUnsafeMutableBufferPointer { l in
            l.baseAddress!.update(from: logits.baseAddress!, count: logits.count)
            Self.change(l, options, seen: seen, counts: counts)
            return mask?.mask(l) ?? l.count
        }
        guard allowed > 0 else { return nil }
        // The sampler never draws a −∞ token while another is finite: the token is an allowed one.
        let token = scratch.withUnsafeBufferPointer { sampler.sample($0) }
        if constraint != nil, !constraint!.accept(token) { return nil }   // (cannot happen: the token was allowed)
        record(token)
        return token
    }

    /// The options' logit changes, in place.
    private static func change(_ l: UnsafeMutableBufferPointer<Float>, _ options: SamplingOptions, seen: Set<Int32>,
                               counts: [Int32: Int]) {
        let p = options.repetitionPenalty
        for id in seen where Int(id) < l.count {
            let i = Int(id)
            l[i] = l[i] > 0 ? l[i] / p : l[i] * p
        }
        for (id, n) in counts where Int(id) < l.count {
            l[Int(id)] -= options.frequencyPenalty * Float(n) + options.presencePenalty
        }
        for (id, bias) in options.logitBias where Int(id) < l.count { l[Int(id)] += bias }
    }

    private mutating func record(_ token: Int32) {
        if options.frequencyPenalty != 0 || options.presencePenalty != 0 { counts[token, default: 0] += 1 }
        if options.repetitionPenalty != 1 { seen.insert(token) }
    }
}
