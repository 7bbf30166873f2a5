import Foundation
import GGUF

/// Hyper-parameters of a supported model (Llama family, Gemma 3), read from GGUF metadata
/// (`<arch>.*` keys). The Gemma 3 parts are read in `Gemma3Configuration.swift`.
public struct LlamaConfiguration: Sendable, Equatable {
    public var architecture: String
    /// Which decoder block the model uses.
    public var family: ModelFamily
    public var vocabularySize: Int
    public var contextLength: Int
    public var embeddingLength: Int
    public var blockCount: Int
    public var feedForwardLength: Int
    public var headCount: Int
    public var headCountKV: Int
    public var headDim: Int
    public var rmsEpsilon: Float
    public var ropeBase: Float
    /// Number of leading dimensions of each head that RoPE rotates (usually `headDim`).
    public var ropeDimensions: Int
    /// Linear RoPE scaling (`<arch>.rope.scaling.type` = "linear"): every angle is divided by
    /// this factor (`<arch>.rope.scaling.factor`); 1 when the model has no such scaling.
    public var ropeLinearScale: Float
    /// Sliding window of each layer (keys with `position > query − window` are visible), nil for a
    /// layer with global attention; all nil for the Llama family.
    public var layerWindows: [Int?]
    /// RoPE base of the sliding-window layers (Gemma 3: 10,000; not stored in the GGUF).
    public var localRopeBase: Float?
    /// Factor applied to the token embeddings (Gemma: √dim; 1 for Llama).
    public var embeddingScale: Float
    /// Softmax scale of the attention scores (1/√headDim for Llama and Gemma 3 up to 12B).
    public var attentionScale: Float

    /// Query heads per KV head (GQA group size).
    public var groupSize: Int { headCount / headCountKV }

    public init(_ file: GGUFFile) throws {
        guard let arch = file.string("general.architecture") else {
            throw ModelError("\(file.path): metadata key 'general.architecture' is missing")
        }
        guard let family = ModelFamily(architecture: arch) else {
            throw ModelError("\(file.path): architecture '\(arch)' is not supported (supported: llama, mistral, gemma3)")
        }
        self.family = family
        func int(_ key: String) throws -> Int {
            guard let v = file.int("\(arch).\(key)") else { throw ModelError("\(file.path): metadata key '\(arch).\(key)' is missing or not an integer") }
            guard v > 0 else { throw ModelError("\(file.path): metadata key '\(arch).\(key)' must be positive, got \(v)") }
            return v
        }
        architecture = arch
        embeddingLength = try int("embedding_length")
        blockCount = try int("block_count")
        feedForwardLength = try int("feed_forward_length")
        headCount = try int("attention.head_count")
        headCountKV = file.int("\(arch).attention.head_count_kv") ?? headCount
        contextLength = file.int("\(arch).context_length") ?? 4096
        guard contextLength > 0 else {
            throw ModelError("\(file.path): metadata key '\(arch).context_length' must be positive, got \(contextLength)")
        }
        guard embeddingLength % headCount == 0 else {
            throw ModelError("\(file.path): embedding_length \(embeddingLength) is not a multiple of head_count \(headCount)")
        }
        guard headCountKV > 0, headCount % headCountKV == 0 else {
            throw ModelError("\(file.path): head_count \(headCount) is not a multiple of head_count_kv \(headCountKV)")
        }
        headDim = file.int("\(arch).attention.key_length") ?? embeddingLength / headCount
        ropeDimensions = file.int("\(arch).rope.dimension_count") ?? headDim
        guard ropeDimensions > 0, ropeDimensions % 2 == 0, ropeDimensions <= headDim else {
            throw ModelError("\(file.path): metadata key '\(arch).rope.dimension_count' is \(ropeDimensions); expected an even number ≤ head size \(headDim)")
        }
        func positive(_ key: String, default value: Double) throws -> Float {
            let v = file.float("\(arch).\(key)") ?? value
            guard v > 0, v.isFinite, Float(v).isFinite else {
                throw ModelError("\(file.path): metadata key '\(arch).\(key)' must be a positive finite number, got \(v)")
            }
            return Float(v)
        }
        rmsEpsilon = try positive("attention.layer_norm_rms_epsilon", default: 1e-5)
        ropeBase = try positive("rope.freq_base", default: 10000)
        ropeLinearScale = 1
        switch file.string("\(arch).rope.scaling.type") {
        case nil, "none":
            break
        case "linear":
            let key = "\(arch).rope.scaling.factor"
            guard let factor = file.float(key), factor > 0, factor.isFinite else {
                throw ModelError("\(file.path): metadata key '\(key)' must be a positive number for linear RoPE scaling")
            }
            ropeLinearScale = Float(factor)
        case let other?:
            throw ModelError("\(file.path): RoPE scaling type '\(other)' (metadata key '\(arch).rope.scaling.type') is not supported; only none and linear are")
        }
        if let v = file.int("\(arch).vocab_size") {
            vocabularySize = v
        } else if let t = file.tensor("token_embd.weight"), t.shape.count >= 2 {
            vocabularySize = t.shape[1]
        } else {
            throw ModelError("\(file.path): cannot determine the vocabulary size")
        }
        guard blockCount <= file.tensors.count else {   // every block has tensors of its own
            throw ModelError("\(file.path): metadata key '\(arch).block_count' is \(blockCount), but the file has only \(file.tensors.count) tensors")
        }
        layerWindows = Array(repeating: nil, count: blockCount)
        localRopeBase = nil
        embeddingScale = 1
        attentionScale = 1 / Float(headDim).squareRoot()
        if family == .gemma3 { try readGemma3(file) }
    }

    /// The sliding window of layer `l`, nil when it attends globally.
    public func window(layer l: Int) -> Int? { layerWindows[l] }
}

/// The decoder-block families Scope runs.
public enum ModelFamily: String, Sendable, Equatable {
    /// Llama 2/3/3.1, Mistral, SmolLM2 (`general.architecture` "llama" or "mistral").
    case llama
    /// Gemma 3 text models (`general.architecture` "gemma3"); see `Gemma3Block.swift`.
    case gemma3

    init?(architecture: String) {
        switch architecture {
        case "llama", "mistral": self = .llama
        case "gemma3": self = .gemma3
        default: return nil
        }
    }
}

/// An error from model loading or running, naming the file, tensor or value at fault.
public struct ModelError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
