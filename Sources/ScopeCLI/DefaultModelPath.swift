import ArgumentParser
import Foundation

/// Where the default model lives: `${XDG_CACHE_HOME:-~/.cache}/scope/models/SmolLM2-135M-Instruct.Q4_1.gguf`.
enum DefaultModelPath {
    static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    /// The cache folder for models.
    static var modelsDirectory: String {
        let env = ProcessInfo.processInfo.environment
        let cache = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) + "/.cache"
        return cache + "/scope/models"
    }

    /// Full path of the default model (it may not exist yet).
    static var path: String { modelsDirectory + "/" + fileName }

    /// `explicit` when given (a known model's name gives its cached path), else the default model path; throws a message telling how to fetch
    /// the default model when it is absent.
    static func resolve(_ explicit: String?) throws -> String {
        if let explicit {
            guard let known = KnownModel.named(explicit), !FileManager.default.fileExists(atPath: explicit) else { return explicit }
            return known.path
        }
        let p = path
        guard FileManager.default.fileExists(atPath: p) else {
            throw ValidationError("no --model given and the default model is missing at \(p); fetch it with scripts/fetch-model.sh")
        }
        return p
    }
}
