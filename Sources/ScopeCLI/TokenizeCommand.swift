import ArgumentParser
import Foundation
import Tokenizer

/// `scope tokenize [--model PATH] [--json] [--add-bos] [--no-parse-special] TEXT`
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text (special-token text such as <|im_start|> is recognised).")

    @Option(name: .long, help: ModelOptions.modelHelp)
    var model: String?

    @Flag(name: .long, help: "Print {\"ids\":[...]} instead of one line per token.")
    var json = false

    @Flag(name: .long, help: "Prepend BOS (and append EOS) when the vocabulary asks for them.")
    var addBos = false

    @Flag(name: .long, help: "Treat control-token text as plain text.")
    var noParseSpecial = false

    @Argument(help: "The text to tokenize.")
    var text: String

    func run() throws {
        let path = try DefaultModelPath.resolve(model)
        let tokenizer: Tokenizer
        do {
            tokenizer = try Tokenizer(ggufPath: path)
        } catch {
            FileHandle.standardError.write(Data("error: cannot load the tokenizer of \(path): \(error)\n".utf8))
            throw ExitCode(1)
        }
        let ids = tokenizer.encode(text, addSpecial: addBos, parseSpecial: !noParseSpecial)
        if json {
            print("{\"ids\":[" + ids.map(String.init).joined(separator: ",") + "]}")
        } else {
            for id in ids {
                let piece = String(decoding: tokenizer.piece(id), as: UTF8.self)
                print("\(id)\t\(piece.debugDescription)")
            }
        }
    }
}
