import FuzzSupport
import Tokenizer

/// One libFuzzer input (`LLVMFuzzerTestOneInput`): chat-template recognition and rendering. Input layout (bytes): segments separated by
/// 0x00. Segment 0 is a `tokenizer.chat_template` text given to `ChatTemplate(templateText:)`; each
/// further segment is one message whose first byte picks the role (mod 4: system, user, assistant, or
/// the text before the first 0x01 byte as a free-form role) and whose rest is the content. The messages
/// are rendered with the recognised format and with every named format, with and without the
/// generation prompt. Property (a trap when violated): a successful render contains every message's
/// content, whitespace-trimmed (some formats trim), as bytes.
func fuzzChatTemplate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let segments = bytes.split(separator: 0, omittingEmptySubsequences: false)
    guard let first = segments.first else { return 0 }
    let templateText = String(decoding: first, as: UTF8.self)
    var messages: [ChatMessage] = []
    for segment in segments.dropFirst() {
        guard let selector = segment.first else { continue }
        let rest = segment.dropFirst()
        switch selector % 4 {
        case 0: messages.append(.system(String(decoding: rest, as: UTF8.self)))
        case 1: messages.append(.user(String(decoding: rest, as: UTF8.self)))
        case 2: messages.append(.assistant(String(decoding: rest, as: UTF8.self)))
        default:
            let parts = rest.split(separator: 1, maxSplits: 1, omittingEmptySubsequences: false)
            messages.append(ChatMessage(role: String(decoding: parts[0], as: UTF8.self),
                                        content: parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : ""))
        }
    }
    var templates = ChatTemplate.names.map { try! ChatTemplate(named: $0) }
    if let recognised = try? ChatTemplate(templateText: templateText) { templates.append(recognised) }
    for template in templates {
        for generationPrompt in [false, true] {
            guard let rendered = try? template.render(messages, addGenerationPrompt: generationPrompt) else { continue }
            let haystack = Array(rendered.utf8)
            for m in messages where !containsBytes(haystack, Array(trimmed(m.content).utf8)) {
                FuzzInput.violated("a rendered chat contains every message's content",
                                   "format \(template.format), message \(m), rendered \(rendered.debugDescription)")
            }
        }
    }
    return 0
}

private func trimmed(_ s: String) -> Substring {
    var sub = Substring(s)
    while let f = sub.first, f.isWhitespace { sub.removeFirst() }
    while let l = sub.last, l.isWhitespace { sub.removeLast() }
    return sub
}

private func containsBytes(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty else { return true }
    guard needle.count <= haystack.count else { return false }
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
        if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
    }
    return false
}
