import Foundation
import Testing

/// The Gemma 3 270M model (`scripts/fetch-model.sh gemma3-270m`), found in the cache folder or at
/// `$SCOPE_GEMMA_MODEL`. Not fetched by the tests (253 MB); CI fetches it in `.ci/run`.
public enum GemmaModel {
    public static let fileName = "gemma-3-270m-q4_k_m.gguf"

    public static var cachePath: String {
        let env = ProcessInfo.processInfo.environment
        let cache = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (env["HOME"] ?? NSHomeDirectory()) + "/.cache"
        return cache + "/scope/models/" + fileName
    }

    /// Path of the model, nil when absent (then, under `SCOPE_REQUIRE_PREREQUISITES=1`, also a recorded issue).
    public static func path() -> String? {
        var result: String? = nil
        if let env = ProcessInfo.processInfo.environment["SCOPE_GEMMA_MODEL"], FileManager.default.fileExists(atPath: env) {
            result = env
        } else if FileManager.default.fileExists(atPath: cachePath) {
            result = cachePath
        }
        if result == nil, Prerequisites.required {
            Issue.record("the Gemma model \(fileName) is missing (SCOPE_REQUIRE_PREREQUISITES=1); fetch it with scripts/fetch-model.sh gemma3-270m")
        }
        return result
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only when the Gemma 3 270M model is present.
    public static var needsGemmaModel: Self {
        .enabled(if: Prerequisites.required || GemmaModel.path() != nil,
                 Comment(rawValue: "needs \(GemmaModel.fileName) (\(GemmaModel.cachePath) or $SCOPE_GEMMA_MODEL); fetch it with scripts/fetch-model.sh gemma3-270m"))
    }
}
