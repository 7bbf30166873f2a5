import Foundation

// Decodable mirrors of the KV selection vectors (methods.md §9.2). Field names follow the JSON.

struct VectorCounters: Decodable, Equatable {
    let S: Int
    let J: Int
    let Jl: Int
}

struct VectorConfig: Decodable {
    let P: Int
    let w: Int
    let kernel: Int?
    let pooling: String?
    let beta: Int?
    let dws: Int?
    let dr: Int?
    let delta: Int?
    let L: Int
    let num_kv_heads: Int
    let group: Int
    let head_dim: Int
}

struct PrefillInput: Decodable {
    let seed: Int
    let q_len: Int
    let q: [[[[Double]]]]   // [L][H][n][d]
    let k: [[[[Double]]]]   // [L][G][n][d]
}

struct PrefillLayerRecord: Decodable {
    let branch: String
    let k: Int?
    let budget: Int?
    let kept: [[Int]]
    let cache_len: Int
    let counters_after: VectorCounters?
    let allkv_P: Int?
}

struct PrefillExpected: Decodable {
    let layers: [PrefillLayerRecord]?
    let reference_raises: String?
}

struct PrefillCase: Decodable {
    let id: String
    let input: String
    let method: String
    let config: VectorConfig
    let expected: PrefillExpected
}

struct PrefillCasesFile: Decodable {
    let inputs: [String: PrefillInput]
    let cases: [PrefillCase]
}

struct TraceInput: Decodable {
    let seed: Int
    let prompt_len: Int
    let steps: Int
    let prompt_q: [[[[Double]]]]   // [L][H][n][d]
    let prompt_k: [[[[Double]]]]   // [L][G][n][d]
    let decode_q: [[[[Double]]]]   // [L][steps][H][d]
    let decode_k: [[[[Double]]]]   // [L][steps][G][d]
}

struct TraceInputsFile: Decodable {
    let input_sets: [String: TraceInput]
}

struct StepRecord: Decodable {
    let k_len: Int
    let branch: String
    let dws: Int?
    let budget: Int?
    let counters: VectorCounters?
    let kept: [[Int]]?
    let cache_len_after: Int
}

struct TraceExample: Decodable {
    let prefill: [PrefillLayerRecord]
    let steps: [[StepRecord]]
    let final_cache: [[[Int]]]
}

struct TraceFile: Decodable {
    let name: String
    let method: String
    let metric: String
    let config: VectorConfig
    let inputs: [String]
    let status: String
    let examples: [TraceExample]?
}

struct BudgetInfoRecord: Decodable {
    let min_num: Int
    let max_num: Int
    let steps: Int
    let adjusted: Bool
}

struct PyramidPrefillRecord: Decodable {
    let method: String
    let P: Int
    let w: Int
    let L: Int
    let beta: Int
    let q_len: Int
    let branch: String
    let uniform_k: Int?
    let reference_raises: Bool
    let budget_info: BudgetInfoRecord
    let budgets_per_layer: [Int]
    let cache_len_per_layer: [Int?]
}

struct PyramidInferDecodeRecord: Decodable {
    let P: Int
    let dws: Int
    let dr: Int
    let L: Int
    let budgets_per_layer: [Int]
    let threshold_compress: Int
    let threshold_pyramid_branch: Int
    let uniform_keep_total: Int
}

struct AdaptiveScheduleRecord: Decodable {
    let max_new_tokens: Int
    let dws: Int
    let dr: Int
    let L: Int
    let delta: Int
    let adaptive_dws_at_counter: [String: Int]
    let dws_at_last_decoding_pass: Int
}

struct BudgetsFile: Decodable {
    let pyramid_prefill: [PyramidPrefillRecord]
    let pyramidinfer_decode: [PyramidInferDecodeRecord]
    let adaptive_schedule: [AdaptiveScheduleRecord]
}

/// Reads and decodes one vector file, with an error naming the file and the JSON path.
func decodeVectorFile<T: Decodable>(_ type: T.Type, at url: URL) throws -> T {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw ConformanceError.unreadable(url.path, String(describing: error))
    }
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let DecodingError.keyNotFound(key, context) {
        throw ConformanceError.malformed(url.path, "missing field '\(key.stringValue)' at \(pathString(context.codingPath))")
    } catch let DecodingError.typeMismatch(_, context) {
        throw ConformanceError.malformed(url.path, "wrong type at \(pathString(context.codingPath)): \(context.debugDescription)")
    } catch let DecodingError.valueNotFound(_, context) {
        throw ConformanceError.malformed(url.path, "null value at \(pathString(context.codingPath))")
    } catch let DecodingError.dataCorrupted(context) {
        throw ConformanceError.malformed(url.path, "invalid JSON at \(pathString(context.codingPath)): \(context.debugDescription)")
    }
}

private func pathString(_ path: [CodingKey]) -> String {
    path.isEmpty ? "top level" : path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
}

/// Errors reading a vectors folder.
public enum ConformanceError: Error, CustomStringConvertible {
    case missing(String)
    case unreadable(String, String)
    case malformed(String, String)

    public var description: String {
        switch self {
        case .missing(let path): return "conformance: \(path) does not exist"
        case .unreadable(let path, let why): return "conformance: cannot read \(path): \(why)"
        case .malformed(let path, let why): return "conformance: \(path): \(why)"
        }
    }
}
