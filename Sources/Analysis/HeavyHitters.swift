import Foundation
import Generation
import KVCache
import Model
import Tokenizer

/// Parameters of the heavy-hitter deviation analysis (paper Figure 2b, methods.md §6.1).
public struct HeavyHitterOptions: Sendable {
    /// Layers to analyse (paper: 0, 13, 31 of Llama-3.1-8B).
    public var layers: [Int]
    /// Decoding steps (1-based): step s is the forward pass of generated token s, at query position n + s − 1.
    public var steps: [Int]
    /// Top-k size as a fraction of the query row index (paper: 0.15; k = round(fraction × row)).
    public var topkFraction: Double
    /// Tokens to generate (greedy).
    public var maxTokens: Int
    /// Keep decoding past end-of-generation tokens so late steps exist.
    public var ignoreEndOfGeneration: Bool
    /// SnapKV prefill configuration used for the overlap statistic (budget P, window, kernel, pooling).
    public var snapKV: CompressionConfig
    /// How the analysed text is generated (greedy by default).
    public var sampling: SamplingOptions
    /// Storage of the full cache the attention rows are recorded over.
    public var elementType: KVElementType

    public init(layers: [Int], steps: [Int], topkFraction: Double, maxTokens: Int, ignoreEndOfGeneration: Bool,
                snapKV: CompressionConfig, sampling: SamplingOptions = .greedy, elementType: KVElementType = .f32) {
        self.layers = layers; self.steps = steps; self.topkFraction = topkFraction; self.maxTokens = maxTokens
        self.ignoreEndOfGeneration = ignoreEndOfGeneration; self.snapKV = snapKV
        self.sampling = sampling; self.elementType = elementType
    }
}

/// The top-k keys of one layer at one decoding step, with the derived statistics.
public struct HeavyHitterStep: Sendable, Codable, Equatable {
    public var layer: Int
    public var step: Int
    public var queryPosition: Int
    public var visibleKeys: Int
    public var k: Int
    /// Key positions of the top-k set of the head-averaged attention row (ascending).
    public var keyIndices: [Int]
    /// Fraction of the top-k keys at positions ≥ prompt length (the generated part).
    public var fractionGenerated: Double
    /// |prompt part of top-k ∩ SnapKV kept| / |prompt part of top-k|, averaged over the layer's cache
    /// heads (nil when the top-k set has no prompt key or SnapKV did not compress).
    public var snapKVOverlap: Double?
}

/// The whole analysis result (written as JSON).
public struct HeavyHitterReport: Sendable, Codable {
    public var promptTokens: Int
    public var generatedTokens: Int
    public var topkFraction: Double
    public var snapKVBudget: Int
    public var snapKVWindow: Int
    /// Whether SnapKV compressed the prompt (false when the prompt fits in the budget).
    public var snapKVCompressed: Bool
    public var generatedText: String
    public var steps: [HeavyHitterStep]
    /// Requested steps that generation did not reach.
    public var missingSteps: [Int]
}

/// Runs the heavy-hitter deviation analysis.
public enum HeavyHitterAnalysis {
    public static func run(model: LlamaModel, tokenizer: Tokenizer, prompt: [Int32],
                           options: HeavyHitterOptions) throws -> HeavyHitterReport {
        let n = prompt.count
        let layerCount = model.config.blockCount
        for l in options.layers where l < 0 || l >= layerCount {
            throw AnalysisError("layer \(l) is out of range 0..<\(layerCount)")
        }
        for s in options.steps where s < 1 {
            throw AnalysisError("decoding step \(s) must be ≥ 1")
        }
        guard options.topkFraction > 0, options.topkFraction <= 1 else {
            throw AnalysisError("top-k fraction \(options.topkFraction) must be in (0, 1]")
        }
        let positions = options.steps.map { Int32(n + $0 - 1) }
        let recorder = RowRecorder(layers: options.layers, queryPositions: positions,
                                   heads: Array(0..<model.config.headCount))
        let generator = Generator(model: model, tokenizer: tokenizer)
        model.observer = recorder
        defer { model.observer = nil }
        let cache = try KVCache(shape: model.cacheShape, config: .fullKV, maxNewTokens: options.maxTokens,
                                elementType: options.elementType)
        let result = try generator.generate(prompt: prompt, maxTokens: options.maxTokens, sampling: options.sampling, cache: cache,
                                            ignoreEndOfGeneration: options.ignoreEndOfGeneration)
        model.observer = nil

        let snap = try snapKVSelection(model: model, prompt: prompt, config: options.snapKV, layers: options.layers,
                                       elementType: options.elementType)
        var steps: [HeavyHitterStep] = []
        var missing: [Int] = []
        for (s, q) in zip(options.steps, positions) {
            var reached = true
            for l in options.layers {
                guard let row = recorder.headAveragedRow(layer: l, queryPosition: q) else { reached = false; continue }
                steps.append(summarize(layer: l, step: s, queryPosition: Int(q), row: row, promptLength: n,
                                       fraction: options.topkFraction, snapKV: snap.compressed ? snap.kept[l] : nil))
            }
            if !reached { missing.append(s) }
        }
        return HeavyHitterReport(promptTokens: n, generatedTokens: result.tokens.count, topkFraction: options.topkFraction,
                                 snapKVBudget: options.snapKV.prefillBudget, snapKVWindow: options.snapKV.effectiveWindow,
                                 snapKVCompressed: snap.compressed, generatedText: result.text, steps: steps,
                                 missingSteps: missing)
    }

    /// Statistics of one head-averaged row; `snapKV` holds each cache head's kept prompt positions.
    public static func summarize(layer: Int, step: Int, queryPosition: Int, row: [Double], promptLength: Int,
                                 fraction: Double, snapKV: [Set<Int>]?) -> HeavyHitterStep {
        let k = AnalysisTopK.size(fraction: fraction, visibleKeys: row.count)
        let top = AnalysisTopK.indices(of: row, k: k)
        let generated = top.filter { $0 >= promptLength }.count
        let promptPart = top.filter { $0 < promptLength }
        var overlap: Double?
        if let snapKV, !snapKV.isEmpty, !promptPart.isEmpty {
            let per = snapKV.map { kept in Double(promptPart.filter { kept.contains($0) }.count) / Double(promptPart.count) }
            overlap = per.reduce(0, +) / Double(per.count)
        }
        return HeavyHitterStep(layer: layer, step: step, queryPosition: queryPosition, visibleKeys: row.count, k: k,
                               keyIndices: top, fractionGenerated: k > 0 ? Double(generated) / Double(k) : 0,
                               snapKVOverlap: overlap)
    }

    /// Runs a prefill with a SnapKV cache and returns, per layer, each cache head's kept positions.
    static func snapKVSelection(model: LlamaModel, prompt: [Int32], config: CompressionConfig,
                                layers: [Int], elementType: KVElementType = .f32) throws -> (compressed: Bool, kept: [Int: [Set<Int>]]) {
        let cache = try KVCache(shape: model.cacheShape, config: config, maxNewTokens: 1, elementType: elementType)
        _ = try model.forward(tokens: prompt, startPosition: 0, cache: cache)
        var kept: [Int: [Set<Int>]] = [:]
        var compressed = false
        for l in layers {
            let layer = cache.layers[l]
            kept[l] = (0..<layer.storageHeads).map { h in Set(layer.orderedPositions(h)) }
            if (0..<layer.storageHeads).contains(where: { layer.count($0) < prompt.count }) { compressed = true }
        }
        return (compressed, kept)
    }
}

/// An analysis failure with a message naming the problem.
public struct AnalysisError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
