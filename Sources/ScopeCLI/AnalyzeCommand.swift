import ArgumentParser

/// `scope analyze …`: the paper's analyses (heavy-hitter deviation, attention maps).
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze", abstract: "Attention analyses: heavy-hitter deviation (Figure 2b) and attention maps.",
        subcommands: [AnalyzeHeavyHittersCommand.self, AnalyzeAttentionMapCommand.self])
}

/// Parses "0,13,29" into integers.
func parseIntList(_ text: String, option: String) throws -> [Int] {
    let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    guard !parts.isEmpty else { throw ValidationError("\(option): empty list") }
    var seen = Set<Int>()
    return try parts.enumerated().map { i, p in
        guard let v = Int(p) else { throw ValidationError("\(option): item \(i + 1) ('\(p)') is not an integer") }
        guard seen.insert(v).inserted else { throw ValidationError("\(option): \(v) is listed twice (item \(i + 1))") }
        return v
    }
}
