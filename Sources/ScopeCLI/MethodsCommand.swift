import ArgumentParser
import Foundation
import KVCache

/// `scope methods [--json]`: every registered compression method with its stage, rule,
/// parameters (with defaults), the statistics it asks the model for, and its paper.
struct MethodsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "methods", abstract: "List the KV-compression methods (from the method registry).")

    @Flag(name: .long, help: "One JSON array: name, stage, rule, paper (arXiv id), parameters (name, default, help), statistics.")
    var json = false

    func run() throws {
        let methods = MethodRegistry.all
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(methods.map(MethodJSON.init))
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for stage in [MethodStage.prefill, .decoding] {
            print("\(stage.rawValue) methods (--\(stage == .prefill ? "prefill" : "decoding") NAME):")
            for m in methods where m.stage == stage {
                let aliases = m.aliases.isEmpty ? "" : " (alias \(m.aliases.joined(separator: ", ")))"
                print("  \(m.name)\(aliases)  arXiv \(m.paper)")
                print("      \(m.rule)")
                if !m.parameters.isEmpty {
                    print("      parameters: " + m.parameters.map { "--\($0.name) \($0.defaultValue)" }.joined(separator: ", "))
                }
                if !m.statistics.isEmpty {
                    print("      needs: " + m.statistics.map(\.rawValue).joined(separator: ", "))
                }
            }
        }
    }
}

/// The stable JSON form of one method (`scope methods --json`).
private struct MethodJSON: Encodable {
    struct Parameter: Encodable {
        let name: String
        let `default`: String
        let help: String
    }
    let name: String
    let stage: String
    let rule: String
    let paper: String
    let parameters: [Parameter]
    let statistics: [String]
    let aliases: [String]

    init(_ m: MethodInfo) {
        name = m.name
        stage = m.stage.rawValue
        rule = m.rule
        paper = "arXiv:\(m.paper)"
        parameters = m.parameters.map { Parameter(name: $0.name, default: $0.defaultValue, help: $0.help) }
        statistics = m.statistics.map(\.rawValue)
        aliases = m.aliases
    }
}
