import Foundation
import Hummingbird
import ServerRequests

/// vLLM's tokenizer endpoints, which lm-evaluation-harness's remote tokenizer uses (so it needs no
/// copy of the model's tokenizer): `POST /tokenize`, `POST /detokenize`, `GET /tokenizer_info`.
/// They sit behind the API key like `/v1/...`.
extension OpenAIServer {
    /// The paths the API key guards besides `/v1/...`.
    static let tokenizerPaths: Set<String> = ["/tokenize", "/detokenize", "/tokenizer_info"]

    func addTokenizerRoutes(_ router: Router<BasicRequestContext>) {
        router.post("/tokenize") { request, _ in
            var request = request
            let tokens = try self.preparer.tokens(TokenizeRequest(body: try await self.jsonBody(&request)))
            return Self.json(ResponseBodies.serialize([
                "tokens": tokens.map { Int($0) }, "count": tokens.count, "max_model_len": self.preparer.contextLength,
            ]))
        }
        router.post("/detokenize") { request, _ in
            var request = request
            let text = try self.preparer.text(DetokenizeRequest(body: try await self.jsonBody(&request)))
            return Self.json(ResponseBodies.serialize(["prompt": text]))
        }
        router.get("/tokenizer_info") { _, _ in
            let tokenizer = self.preparer.tokenizer
            func text(_ id: Int32?) -> Any { id.flatMap { tokenizer.tokenText($0) } ?? NSNull() }
            return Self.json(ResponseBodies.serialize([
                "tokenizer_class": tokenizer.model, "eos_token": text(tokenizer.eosID), "bos_token": text(tokenizer.bosID),
                "pad_token": text(tokenizer.paddingID), "chat_template": tokenizer.chatTemplateText ?? NSNull(),
                "model_max_length": self.preparer.contextLength, "add_bos_token": tokenizer.addBOS,
            ]))
        }
    }
}
