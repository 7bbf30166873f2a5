import Foundation
import Generation
import Hummingbird
import ServerRequests

extension APIError {
    /// `Content-Type: application/json`, and `Retry-After` when set.
    public var headers: HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let retryAfterSeconds { fields[.retryAfter] = String(retryAfterSeconds) }
        return fields
    }

    /// The HTTP response.
    public var response: Response {
        Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The answer to a scheduler refusal.
    init(_ error: SchedulerError, retryAfterSeconds: Int) {
        switch error {
        case .queueFull(let limit):
            self.init(status: 429, message: "the server's queue is full (\(limit) waiting requests); retry later",
                      type: "rate_limit_error", code: "queue_full", retryAfterSeconds: retryAfterSeconds)
        case .exceedsBudget(let worstCase, let budget):
            self.init(status: 400, message: "this request's worst-case KV cache is \(worstCase) bytes, more than the server's whole KV budget of \(budget) bytes; choose a smaller max_tokens or a compression (kv_compression) that bounds the cache",
                      param: "kv_compression", code: "kv_budget_exceeded")
        case .invalidRequest(let message):
            self.init(status: 400, message: message)
        case .shuttingDown:
            self.init(status: 503, message: "the server is shutting down", type: "server_error", code: "shutting_down",
                      retryAfterSeconds: retryAfterSeconds)
        }
    }
}
