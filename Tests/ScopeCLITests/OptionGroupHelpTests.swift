import Foundation
import ScopeTestSupport
import Testing

/// Issue 18: every command that runs the model shows the model group (and the compression group
/// where a cache can be compressed), every command that generates shows the sampling group, each
/// with all its options; the table in the README's usage section lists the same.
struct OptionGroupHelpTests {
    enum Group: String, CaseIterable, Sendable {
        case model = "MODEL:"
        case compression = "KV COMPRESSION:"
        case sampling = "SAMPLING:"

        var options: [String] {
            switch self {
            case .model: return ["--model", "--threads", "--activations", "--kv-type"]
            case .compression:
                return ["--prefill", "--prefill-budget", "--window", "--kernel", "--pooling", "--beta", "--decoding",
                        "--decoding-window", "--recent", "--delta", "--semantics", "--group-reduce"]
            case .sampling: return ["--temperature", "--top-p", "--top-k", "--seed"]
            }
        }
    }

    /// Command × groups that apply (attention-map draws the full cache's attention, so compression
    /// does not apply; logits runs one prefill pass, so neither compression nor sampling does).
    static let table: [(command: [String], groups: Set<Group>)] = [
        (["generate"], [.model, .compression, .sampling]),
        (["fidelity"], [.model, .compression, .sampling]),
        (["bench"], [.model, .compression, .sampling]),
        (["longgenbench", "run"], [.model, .compression, .sampling]),
        (["analyze", "heavy-hitters"], [.model, .compression, .sampling]),
        (["analyze", "attention-map"], [.model, .sampling]),
        (["logits"], [.model]),
    ]

    @Test("each command's --help lists the option groups that apply, with every option of each",
          .needsScopeExecutable,
          arguments: table.indices)
    func groupsInHelp(_ i: Int) throws {
        let (command, groups) = Self.table[i]
        let run = try #require(try ScopeExecutable.run(command + ["--help"]))
        #expect(run.status == 0, "\(command) --help exited \(run.status): \(run.stderr)")
        let help = run.stdout
        for group in Group.allCases {
            let heading = help.range(of: "\n" + group.rawValue + "\n")
            if groups.contains(group) {
                let start = try #require(heading, "\(command.joined(separator: " ")) --help lacks \(group.rawValue)\n\(help)")
                // The group's section runs to the next blank line.
                let rest = help[start.upperBound...]
                let section = rest.range(of: "\n\n").map { rest[..<$0.lowerBound] } ?? rest
                for option in group.options {
                    #expect(section.contains(option + " ") || section.contains(option + "\n"),
                            "\(command.joined(separator: " ")): \(option) is not under \(group.rawValue)")
                }
            } else {
                #expect(heading == nil, "\(command.joined(separator: " ")) shows \(group.rawValue) although it does not apply")
            }
        }
    }

    @Test("--kv-budget-mb has one help text on bench, longgenbench run and serve", .needsScopeExecutable)
    func budgetFlagIsDeclaredOnce() throws {
        var texts: [String] = []
        for command in [["bench"], ["longgenbench", "run"], ["serve"]] {
            let run = try #require(try ScopeExecutable.run(command + ["--help"]))
            #expect(run.status == 0, "\(command) --help exited \(run.status)")
            // The option's entry: its line and the continuation lines under it, up to the next option.
            let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            let first = try #require(lines.firstIndex { $0.contains("--kv-budget-mb") }, "\(command) --help lacks --kv-budget-mb")
            var entry = [lines[first]]
            for line in lines[(first + 1)...] {
                guard !line.trimmingCharacters(in: .whitespaces).isEmpty, !line.trimmingCharacters(in: .whitespaces).hasPrefix("-") else { break }
                entry.append(line)
            }
            texts.append(entry.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " "))
        }
        #expect(texts[0].contains("worst-case KV bytes"), "\(texts[0])")
        #expect(Set(texts).count == 1, "\(texts)")
    }

    @Test("scope --version prints major.minor.patch", .needsScopeExecutable)
    func version() throws {
        let run = try #require(try ScopeExecutable.run(["--version"]))
        #expect(run.status == 0, "exit \(run.status): \(run.stderr)")
        let parts = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }, "\(run.stdout)")
    }
}
