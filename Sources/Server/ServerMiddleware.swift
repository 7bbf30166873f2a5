import Foundation
import Hummingbird
import Logging
import ServerRequests

/// Runs around every request: checks the API key on `/v1/...` and the tokenizer endpoints,
/// answers unknown routes and other framework errors in OpenAI's error shape, counts requests by
/// route and status, and writes the log line of requests that end in an error (successful
/// generations log their own line).
struct ServerMiddleware<Context: RequestContext>: RouterMiddleware {
    let apiKey: String?
    let metrics: ServerMetrics
    let logger: Logger

    static func routeLabel(_ path: String) -> String {
        switch path {
        case "/v1/chat/completions": return "chat_completions"
        case "/v1/completions": return "completions"
        case "/v1/models": return "models"
        case "/health": return "health"
        case "/metrics": return "metrics"
        default: return OpenAIServer.tokenizerPaths.contains(path) ? String(path.dropFirst()) : "other"
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let route = Self.routeLabel(request.uri.path)
        do {
            if let apiKey, request.uri.path.hasPrefix("/v1/") || OpenAIServer.tokenizerPaths.contains(request.uri.path) {
                let expected = "Bearer \(apiKey)"
                guard request.headers[.authorization] == expected else {
                    throw APIError(status: 401, message: "Incorrect API key provided: send it as 'Authorization: Bearer <key>'.",
                                   type: "invalid_request_error", code: "invalid_api_key")
                }
            }
            let response = try await next(request, context)
            metrics.countRequest(route: route, status: response.status.code)
            return response
        } catch {
            let apiError = Self.apiError(error, path: request.uri.path, method: request.method.rawValue)
            metrics.countRequest(route: route, status: apiError.status)
            logger.info("request failed", metadata: [
                "route": .string(route), "status": .stringConvertible(apiError.status), "error": .string(apiError.message),
            ])
            return apiError.response
        }
    }

    /// Any error as an OpenAI-shaped error (client disconnects included, as 499 for the metrics).
    static func apiError(_ error: any Error, path: String, method: String) -> APIError {
        if let e = error as? APIError { return e }
        if error is CancellationError {
            return APIError(status: 499, message: "the client closed the connection", type: "invalid_request_error",
                            code: "client_closed_request")
        }
        if let e = error as? any HTTPResponseError {
            switch e.status {
            case .notFound:
                return APIError(status: 404, message: "Unknown request URL: \(method) \(path).", code: "unknown_url")
            case .contentTooLarge:
                return APIError(status: 413, message: "the request body is too large", code: "request_too_large")
            case .methodNotAllowed:
                return APIError(status: 405, message: "\(method) is not allowed on \(path)", code: "method_not_allowed")
            default:
                return APIError(status: e.status.code, message: "\(e.status.reasonPhrase) (\(method) \(path))",
                                type: e.status.code >= 500 ? "server_error" : "invalid_request_error")
            }
        }
        return APIError(status: 500, message: "internal error: \(error)", type: "server_error")
    }
}
