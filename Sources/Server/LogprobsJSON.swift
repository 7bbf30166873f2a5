import Foundation
import Generation
import Tokenizer

/// One token of an answer's `logprobs`: its id and log-probabilities (nil for the prompt's first
/// token, which nothing comes before).
struct LoggedToken: Sendable {
    var id: Int32
    var logprobs: TokenLogprobs?

    init(id: Int32, logprobs: TokenLogprobs?) {
        self.id = id
        self.logprobs = logprobs
    }

    init(_ logprobs: TokenLogprobs) { self.init(id: logprobs.chosen.id, logprobs: logprobs) }
}

/// OpenAI's `logprobs` objects from the scheduler's `TokenLogprobs`. A token is shown as its
/// bytes decoded as UTF-8 (a piece of a multi-byte character shows U+FFFD; `bytes` has the exact
/// bytes, in the chat form); a log-probability that is not finite is shown as −9999, as OpenAI does
/// for tokens with no weight (JSON has no −∞).
struct LogprobsJSON: Sendable {
    let tokenizer: Tokenizer

    private func token(_ id: Int32) -> String { String(decoding: tokenizer.piece(id), as: UTF8.self) }

    private static func value(_ logprob: Double) -> Double { logprob.isFinite ? logprob : -9999 }

    /// Chat: `{"content": [{"token", "logprob", "bytes", "top_logprobs": [{"token", "logprob", "bytes"}]}], "refusal": null}`.
    func chat(_ entries: [LoggedToken]) -> [String: Any] {
        func entry(_ e: TokenLogprobs.Entry) -> [String: Any] {
            let bytes = tokenizer.piece(e.id)
            return ["token": String(decoding: bytes, as: UTF8.self), "logprob": Self.value(e.logprob), "bytes": bytes.map { Int($0) }]
        }
        // Chat has no echo: every entry is a generated token's.
        let content: [[String: Any]] = entries.compactMap(\.logprobs).map { t in
            var item = entry(t.chosen)
            item["top_logprobs"] = t.top.map(entry)
            return item
        }
        return ["content": content, "refusal": NSNull()]
    }

    /// Completions: `{"tokens", "token_logprobs", "top_logprobs": [{token: logprob}], "text_offset"}`
    /// (null log-probability and alternatives for an echoed prompt's first token); `offset` is the
    /// text's length (in Unicode scalars) before the first of `entries` and advances past them
    /// (streamed chunks continue where the last one ended).
    func completion(_ entries: [LoggedToken], offset: inout Int) -> [String: Any] {
        var tokens: [String] = [], logprobs: [Any] = [], tops: [Any] = [], offsets: [Int] = []
        for t in entries {
            let text = token(t.id)
            tokens.append(text)
            offsets.append(offset)
            offset += text.unicodeScalars.count
            guard let l = t.logprobs else {
                logprobs.append(NSNull())
                tops.append(NSNull())
                continue
            }
            logprobs.append(Self.value(l.chosen.logprob))
            // Two ids with the same text keep the more likely one's value (it comes first).
            var top: [String: Double] = [:]
            for e in l.top {
                let text = token(e.id)
                if top[text] == nil { top[text] = Self.value(e.logprob) }
            }
            tops.append(top)
        }
        return ["tokens": tokens, "token_logprobs": logprobs, "top_logprobs": tops, "text_offset": offsets]
    }
}
