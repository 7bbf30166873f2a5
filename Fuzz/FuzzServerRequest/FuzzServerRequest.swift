import Foundation
import FuzzSupport
import Generation
import JSONStrict
import KVCache
import ServerRequests
import Tokenizer

/// The server's request path as `scope serve` runs it on a body, without HTTP: the tokenizer of the
/// default model (or the fixture vocabulary, `FuzzInput.tokenizerGGUFPath`), SmolLM2's context length
/// (8,192) and the CLI's default compression (full cache) as the server's default.
let preparer: RequestPreparer = {
    let path = FuzzInput.tokenizerGGUFPath()
    do {
        let tokenizer = try Tokenizer(ggufPath: path)
        FileHandle.standardError.write(Data("FuzzServerRequest: tokenizer of \(path) (\(tokenizer.vocabularySize) tokens)\n".utf8))
        return RequestPreparer(tokenizer: tokenizer, contextLength: 8192, vocabularySize: tokenizer.vocabularySize,
                               defaultCompression: .fullKV)
    } catch {
        fatalError("FuzzServerRequest: cannot build the tokenizer of \(path): \(error)")
    }
}()

/// SmolLM2-135M's cache shape (30 layers, 9 query heads, 3 KV heads of 64), for the admission bound.
let smolLM2Shape = CacheShape(layers: 30, queryHeads: 9, kvHeads: 3, headDim: 64)

/// One libFuzzer input (`LLVMFuzzerTestOneInput`): arbitrary bytes as the body of a `POST /v1/chat/completions`
/// and of a `POST /v1/completions`, through `JSONValue.parse`, `CompletionRequest` (field checks,
/// `kv_compression`) and `RequestPreparer.prepare` (chat template or encoding, context check,
/// compression resolved and validated). Properties (a trap when violated):
/// - the outcome is a prepared request or an `APIError` with a 4xx status, a message, and a body that is
///   OpenAI's error object carrying that message;
/// - a prepared request has 1 to 64 choices, each with a non-empty prompt of ids inside the vocabulary, 1 ≤ max tokens and
///   prompt + max tokens ≤ the context length, and a compression that `CompressionConfig.validate()` accepts,
///   whose worst-case KV bytes (`KVMemory.expectedPeakBytes`, the scheduler's admission bound) compute.
func fuzzServerRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let body = Data(UnsafeRawBufferPointer(start: data, count: size))
    for endpoint in [Endpoint.chat, .completion] {
        do throws(APIError) {
            let request = try CompletionRequest(endpoint: endpoint, body: JSONValue.parse(body))
            let choices = try preparer.prepare(request)
            if choices.isEmpty || choices.count > CompletionRequest.maxChoices {
                FuzzInput.violated("1 ≤ choices ≤ \(CompletionRequest.maxChoices)", "\(choices.count) choices")
            }
            for choice in choices { check(choice.sequence, endpoint: endpoint, body: body) }
        } catch {
            check(error, endpoint: endpoint, body: body)
        }
    }
    // The tokenizer endpoints' bodies: a result or a 400.
    do throws(APIError) {
        _ = try preparer.tokens(TokenizeRequest(body: JSONValue.parse(body)))
    } catch {
        check(error, endpoint: .completion, body: body)
    }
    do throws(APIError) {
        _ = try preparer.text(DetokenizeRequest(body: JSONValue.parse(body)))
    } catch {
        check(error, endpoint: .completion, body: body)
    }
    return 0
}

func check(_ prepared: SequenceRequest, endpoint: Endpoint, body: Data) {
    let detail = { "\(endpoint) body \(String(decoding: body, as: UTF8.self).debugDescription)" }
    if prepared.prompt.isEmpty { FuzzInput.violated("a prepared prompt is not empty", detail()) }
    if let bad = prepared.prompt.first(where: { $0 < 0 || Int($0) >= preparer.vocabularySize }) {
        FuzzInput.violated("prompt ids are inside the vocabulary", "id \(bad); \(detail())")
    }
    if prepared.maxTokens < 1 || prepared.maxTokens > preparer.contextLength - prepared.prompt.count {
        FuzzInput.violated("1 ≤ max tokens ≤ context − prompt",
                           "max tokens \(prepared.maxTokens), prompt \(prepared.prompt.count); \(detail())")
    }
    do {
        try prepared.compression.validate()
    } catch {
        FuzzInput.violated("a prepared compression validates", "\(error); \(detail())")
    }
    // What the scheduler computes at admission (`BatchScheduler.worstCaseKVBytes`): must not trap.
    let generated = min(prepared.maxTokens, preparer.contextLength - prepared.prompt.count)
    let worst = KVMemory.expectedPeakBytes(shape: smolLM2Shape, config: prepared.compression, promptLength: prepared.prompt.count,
                                           decodeSteps: max(0, generated - 1), maxNewTokens: prepared.maxTokens)
    if worst < 0 { FuzzInput.violated("the worst-case KV bytes are not negative", "\(worst); \(detail())") }
    if let schema = prepared.responseFormat.schema { checkRecognizer(schema, on: body, detail: detail) }
}

/// A `json_schema` request's recognizer on the body's own bytes (a JSON object, like the outputs it
/// follows): it must not trap, and a text it calls complete is JSON (beyond numbers out of Double's
/// range and free keys written twice, which JSON allows and the strict parser refuses).
func checkRecognizer(_ schema: JSONSchema, on body: Data, detail: () -> String) {
    var recognizer = JSONPrefix(schema: schema)
    var taken = 0
    for b in body {
        guard recognizer.feed(b) else { break }
        taken += 1
    }
    guard recognizer.isComplete else { return }
    do {
        _ = try JSONParser.parse(Array(body.prefix(taken)))
    } catch .syntax(let message, _) where message.hasSuffix("is out of range") {
    } catch .duplicateKey {
    } catch {
        FuzzInput.violated("a text the schema's recognizer calls complete is JSON", "\(error); \(detail())")
    }
}

func check(_ error: APIError, endpoint: Endpoint, body: Data) {
    let detail = { "\(error); \(endpoint) body \(String(decoding: body, as: UTF8.self).debugDescription)" }
    if !(400..<500).contains(error.status) { FuzzInput.violated("a rejected request is a 4xx", detail()) }
    if error.message.isEmpty { FuzzInput.violated("an error has a message", detail()) }
    let object = try? JSONSerialization.jsonObject(with: error.body) as? [String: Any]
    let inner = object?["error"] as? [String: Any]
    if inner?["message"] as? String != error.message || inner?["type"] as? String != error.type {
        FuzzInput.violated("the error body is OpenAI's error object with the message and type",
                           "\(String(decoding: error.body, as: UTF8.self)); \(detail())")
    }
}
