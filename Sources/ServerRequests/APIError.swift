import Foundation

/// An error answered to the client in OpenAI's shape:
/// `{"error": {"message": ..., "type": ..., "param": ..., "code": ...}}`.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status (400, 401, 404, 413, 429, 500, 503).
    public var status: Int
    public var message: String
    /// OpenAI's error type: `invalid_request_error`, `authentication_error`, `rate_limit_error`, `server_error`.
    public var type: String
    /// The request field at fault (`messages`, `max_tokens`, `kv_compression.prefill`, ...), if any.
    public var param: String?
    /// A machine-readable code (`context_length_exceeded`, `invalid_api_key`, ...), if any.
    public var code: String?
    /// Seconds the client should wait before retrying (429, 503).
    public var retryAfterSeconds: Int?

    public init(status: Int, message: String, type: String = "invalid_request_error", param: String? = nil,
                code: String? = nil, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(status) \(type): \(message)" }

    /// A 400 naming the field at fault.
    package static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: 400, message: message, param: param, code: code)
    }

    /// The JSON body.
    public var body: Data {
        struct Inner: Encodable {
            let message: String, type: String, param: String?, code: String?
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(message, forKey: .message)
                try c.encode(type, forKey: .type)
                try c.encode(param, forKey: .param)  // explicit null, as OpenAI sends
                try c.encode(code, forKey: .code)
            }
            enum CodingKeys: String, CodingKey { case message, type, param, code }
        }
        struct Outer: Encodable { let error: Inner }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding four strings cannot fail.
        return (try? encoder.encode(Outer(error: Inner(message: message, type: type, param: param, code: code)))) ?? Data()
    }
}
