import Generation
import SplitMix
import Testing

/// `TokenDraw`'s logit changes against their closed forms (OpenAI's frequency and presence
/// penalties, `logit_bias`, vLLM's repetition penalty), recomputed here from the history alone.
struct TokenDrawTests {
    /// The changed logit of token j: the repetition penalty if j is in the prompt or was drawn, minus
    /// frequency × draws of j and presence if j was drawn, plus j's bias.
    static func changed(_ raw: [Float], prompt: [Int32], drawn: [Int32], _ o: SamplingOptions) -> [Float] {
        raw.indices.map { j in
            let id = Int32(j)
            var l = raw[j]
            if prompt.contains(id) || drawn.contains(id) { l = l > 0 ? l / o.repetitionPenalty : l * o.repetitionPenalty }
            let n = drawn.filter { $0 == id }.count
            l -= o.frequencyPenalty * Float(n) + (n > 0 ? o.presencePenalty : 0)
            return l + (o.logitBias[id] ?? 0)
        }
    }

    static func randomOptions(_ rng: inout SplitMix64, vocab: Int, temperature: Float) -> SamplingOptions {
        var o = SamplingOptions(temperature: temperature, topK: Int.random(in: 0...5, using: &rng), seed: rng.next())
        o.repetitionPenalty = [1, 1.3, 0.8].randomElement(using: &rng)!
        o.frequencyPenalty = Float.random(in: -2...2, using: &rng)
        o.presencePenalty = Float.random(in: -2...2, using: &rng)
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            o.logitBias[Int32.random(in: 0..<Int32(vocab), using: &rng)] = Float.random(in: -100...100, using: &rng)
        }
        return o
    }

    /// Draws `steps` tokens with `TokenDraw` from random logits (close together, so the changes
    /// decide often) and expects each to be `reference` of the closed-form changed logits.
    static func expectDraws(_ rng: inout SplitMix64, _ options: SamplingOptions, prompt: [Int32], vocab: Int, steps: Int,
                            reference: ([Float]) -> Int32) {
        var draw = TokenDraw(options, prompt: prompt)
        var drawn: [Int32] = []
        for _ in 0..<steps {
            let raw = (0..<vocab).map { _ in Float.random(in: -3...3, using: &rng) }
            let want = reference(Self.changed(raw, prompt: prompt, drawn: drawn, options))
            let token = raw.withUnsafeBufferPointer { draw.next($0) }
            #expect(token == want, "options \(options), drawn \(drawn)")
            drawn.append(token ?? -1)
        }
    }

    @Test("greedy: each token is the argmax of the closed-form changed logits (the model's logits left as they were)")
    func greedyFollowsTheClosedForm() {
        var rng = SplitMix64(seed: 5)
        let vocab = 40
        for _ in 0..<200 {
            let options = Self.randomOptions(&rng, vocab: vocab, temperature: 0)
            let prompt = (0..<Int.random(in: 1...6, using: &rng)).map { _ in Int32.random(in: 0..<Int32(vocab), using: &rng) }
            Self.expectDraws(&rng, options, prompt: prompt, vocab: vocab, steps: 12) { l in
                Int32(l.indices.max { l[$0] < l[$1] || (l[$0] == l[$1] && $0 > $1) }!)   // lowest id on ties
            }
        }
    }

    @Test("sampled: the same draws as the sampler on the closed-form changed logits; no changes: the sampler's own draws")
    func sampledFollowsTheClosedForm() {
        var rng = SplitMix64(seed: 6)
        let vocab = 40
        for trial in 0..<100 {
            var options = Self.randomOptions(&rng, vocab: vocab, temperature: 0.9)
            if trial % 4 == 0 {   // no changes at all
                options.repetitionPenalty = 1; options.frequencyPenalty = 0; options.presencePenalty = 0; options.logitBias = [:]
            }
            let prompt = [Int32.random(in: 0..<Int32(vocab), using: &rng)]
            var sampler = Sampler(options)
            Self.expectDraws(&rng, options, prompt: prompt, vocab: vocab, steps: 10) { l in
                l.withUnsafeBufferPointer { sampler.sample($0) }
            }
        }
    }

    @Test("the options' ranges: penalties within ±2, repetition > 0, biases within ±100")
    func validation() {
        var o = SamplingOptions()
        o.frequencyPenalty = 2.5
        #expect(throws: GenerationError.self) { try o.validate() }
        o = SamplingOptions()
        o.repetitionPenalty = 0
        #expect(throws: GenerationError.self) { try o.validate() }
        o = SamplingOptions()
        o.logitBias = [3: 101]
        #expect(throws: GenerationError.self) { try o.validate() }
        o.logitBias = [3: -100]
        o.presencePenalty = -2
        #expect(throws: Never.self) { try o.validate() }
    }
}
