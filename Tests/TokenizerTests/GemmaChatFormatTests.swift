import Testing
@testable import Tokenizer

struct GemmaChatFormatTests {
    @Test("a Gemma template is recognised and renders <start_of_turn> turns with the model role")
    func rendersTurns() throws {
        let template = try ChatTemplate(templateText: "{{ bos_token }}{% for message in messages %}<start_of_turn>{{ role }}\n{% endfor %}")
        #expect(template.format == .gemma)
        let text = try template.render([.system("Be brief."), .user(" Hi "), .assistant("Hello!"), .user("Capital of France?")],
                                       addGenerationPrompt: true)
        #expect(text == "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
                + "<start_of_turn>user\nCapital of France?<end_of_turn>\n<start_of_turn>model\n")
        #expect(try ChatTemplate(named: "gemma").render([.user("x")], addGenerationPrompt: false) == "<start_of_turn>user\nx<end_of_turn>\n")
    }

    @Test("a system message after the first is refused")
    func lateSystemRefused() {
        #expect(throws: TokenizerError.self) {
            try ChatTemplate(format: .gemma).render([.user("a"), .system("b")], addGenerationPrompt: true)
        }
    }

    @Test("a system message with no turn after it is refused, not dropped (found by the chat-template fuzzer)")
    func loneSystemRefused() {
        #expect(throws: TokenizerError.self) {
            try ChatTemplate(format: .gemma).render([.system(":# 2+1?Qu:oisnte 1+1?")], addGenerationPrompt: false)
        }
        #expect(throws: TokenizerError.self) {
            try ChatTemplate(format: .gemma).render([.system("Be brief.")], addGenerationPrompt: true)
        }
    }
}
