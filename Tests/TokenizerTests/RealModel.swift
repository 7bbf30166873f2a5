import Foundation
import Testing
import ScopeTestSupport
@testable import Tokenizer

/// The default model's tokenizer, loaded once (nil with a printed reason when the model is unavailable).
enum RealModel {
    static let smolLM2: Tokenizer? = {
        guard let path = DefaultModel.path() else { return nil }
        do {
            return try Tokenizer(ggufPath: path)
        } catch {
            Issue.record("cannot load the tokenizer of \(path): \(error)")
            return nil
        }
    }()
}

/// ../shared/conformance/smollm2_q4_1_reference.json
struct ConformanceReference {
    struct TokenizerCase { let text: String; let ids: [Int32] }
    struct GreedyCase { let user: String; let promptIDs: [Int32]; let outputIDs: [Int32]; let outputText: String }

    let tokenizer: [TokenizerCase]
    let greedy: [GreedyCase]

    static let shared: ConformanceReference? = {
        guard let url = SharedData.path("conformance/smollm2_q4_1_reference.json"),
              let data = try? Data(contentsOf: url),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        func ids(_ any: Any?) -> [Int32] { (any as? [NSNumber] ?? []).map { $0.int32Value } }
        let tok = (root["tokenizer"] as? [[String: Any]] ?? []).map {
            TokenizerCase(text: $0["text"] as? String ?? "", ids: ids($0["ids"]))
        }
        let greedy = (root["greedy"] as? [[String: Any]] ?? []).map {
            GreedyCase(user: $0["user"] as? String ?? "", promptIDs: ids($0["prompt_ids"]),
                       outputIDs: ids($0["output_ids"]), outputText: $0["output_text"] as? String ?? "")
        }
        return ConformanceReference(tokenizer: tok, greedy: greedy)
    }()
}
