import Testing
@testable import Tokenizer

/// Chat formats: recognised from template text by substrings and rendered like llama.cpp's llama-chat.cpp.
@Suite struct ChatTemplateTests {
    static let conversation: [ChatMessage] = [
        .system("You are a helpful assistant"), .user("Hello"), .assistant("Hi there"),
        .user("Who are you"), .assistant("   I am an assistant   "), .user("Another question"),
    ]

    static let llama2Official = """
        {% if messages[0]['role'] == 'system' %}{% set system_message = '<<SYS>>\\n' + messages[0]['content'] | trim + '\\n<</SYS>>\\n\\n' %}{% endif %}{% for message in messages %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% endif %}{% endfor %}
        """
    static let mistralV02 = """
        {{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}
        """
    static let mistralV3 = "{%- if tools %}[AVAILABLE_TOOLS]{%- endif %}{{- '[INST] ' + message['content'] + '[/INST]' }}"
    static let llama3 = """
        {% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{{ content }}{% endfor %}
        """

    @Test func formatsAreRecognisedFromTemplateText() throws {
        #expect(try ChatTemplate(templateText: Self.llama3).format == .llama3)
        #expect(try ChatTemplate(templateText: Self.llama2Official).format
            == .llama2(systemBlock: true, bosInsideHistory: true, stripMessages: true))
        #expect(try ChatTemplate(templateText: Self.mistralV02).format
            == .llama2(systemBlock: false, bosInsideHistory: false, stripMessages: false))
        #expect(try ChatTemplate(templateText: Self.mistralV3).format == .mistral(.v3))
        #expect(try ChatTemplate(templateText: "{{ '<|im_start|>' + message['role'] }}").format
            == .chatML(defaultSystemPrompt: nil))
    }

    @Test func unknownTemplateIsAClearError() {
        #expect(throws: TokenizerError.unknownChatTemplate(excerpt: "{{ messages | tojson }}")) {
            try ChatTemplate(templateText: "{{ messages | tojson }}")
        }
        #expect(throws: TokenizerError.self) { try ChatTemplate(named: "vicuna") }
    }

    @Test func chatMLDefaultSystemPromptIsReadFromEscapedOrLiteralNewlines() {
        let escaped = "{{ '<|im_start|>system\\nYou are Qwen, don\\'t panic.<|im_end|>\\n' }}"
        #expect(ChatTemplate.chatMLDefaultSystemPrompt(in: escaped) == "You are Qwen, don't panic.")
        let dynamic = "{{ '<|im_start|>system\\n' + message['content'] + '<|im_end|>' }}"
        #expect(ChatTemplate.chatMLDefaultSystemPrompt(in: dynamic) == nil)
    }

    @Test func chatMLInsertsTheDefaultSystemPromptOnlyWithoutASystemMessage() throws {
        let t = ChatTemplate(format: .chatML(defaultSystemPrompt: "Be brief."))
        #expect(try t.render([.user("Hi")], addGenerationPrompt: true)
            == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        #expect(try t.render([.system("S"), .user("Hi")], addGenerationPrompt: false)
            == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
    }

    @Test func llama3RendersHeadersWithTrimmedContent() throws {
        let text = try ChatTemplate(format: .llama3).render(Self.conversation, addGenerationPrompt: true)
        #expect(text == "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    }

    @Test func llama2AndMistralRenderInstBlocks() throws {
        let sys = try ChatTemplate(named: "llama2-sys").render(Self.conversation, addGenerationPrompt: true)
        #expect(sys == "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]")
        let plain = try ChatTemplate(named: "llama2").render(Self.conversation, addGenerationPrompt: true)
        #expect(plain == "[INST] You are a helpful assistant\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]")
        let v1 = try ChatTemplate(named: "mistral-v1").render(Self.conversation, addGenerationPrompt: true)
        #expect(v1 == " [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] Who are you [/INST]    I am an assistant   </s> [INST] Another question [/INST]")
        let v3 = try ChatTemplate(named: "mistral-v3").render(Self.conversation, addGenerationPrompt: true)
        #expect(v3 == "[INST] You are a helpful assistant\n\nHello[/INST] Hi there</s>[INST] Who are you[/INST] I am an assistant</s>[INST] Another question[/INST]")
        #expect(throws: TokenizerError.self) {
            try ChatTemplate(named: "llama2").render([.init(role: "tool", content: "x")], addGenerationPrompt: false)
        }
    }

    @Test func paperPlainFormatWrapsTheSystemPrompt() throws {
        let t = try ChatTemplate(named: "plain")
        #expect(try t.render([.system("You are a helper."), .user("Solve it.")], addGenerationPrompt: true)
            == "<<SYS>>\n You are a helper. \n<</SYS>>\n\nSolve it.")
        #expect(try t.render([.user("Solve it.")], addGenerationPrompt: true) == "Solve it.")
        #expect(throws: TokenizerError.self) { try t.render([.user("a"), .user("b")], addGenerationPrompt: true) }
    }
}
