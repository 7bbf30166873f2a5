import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 client for the server tests, on SwiftNIO (already a dependency of the server):
/// one request per loopback connection, the response read part by part. Leaving `exchange`'s closure,
/// by returning, throwing or by the task being cancelled, closes the connection, which is how the
/// tests disconnect from a running request.
enum TestHTTPClient {
    typealias HTTPChannel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    /// A response being read: its head, then its body chunk by chunk.
    struct Response {
        let status: Int
        let headers: HTTPHeaders
        var parts: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator

        /// The next body chunk; nil at the end of the response.
        mutating func nextChunk() async throws -> ByteBuffer? {
            while let part = try await parts.next() {
                switch part {
                case .body(let buffer): return buffer
                case .end: return nil
                case .head: throw TestServerError("a second response head on one request")
                }
            }
            throw TestServerError("the connection closed before the end of the response")
        }

        /// The rest of the body as text.
        mutating func text() async throws -> String {
            var body = ByteBuffer()
            while var chunk = try await nextChunk() { body.writeBuffer(&chunk) }
            return String(buffer: body)
        }
    }

    /// Sends one request to 127.0.0.1:`port` and hands the response to `read` while the connection is open.
    static func exchange<T: Sendable>(port: Int, method: HTTPMethod, path: String, headers: [(String, String)] = [], body: ByteBuffer? = nil,
                            _ read: (inout Response) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try HTTPChannel(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
            head.headers.add(name: "Host", value: "127.0.0.1:\(port)")
            head.headers.add(name: "Connection", value: "close")
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            if let body { head.headers.add(name: "Content-Length", value: String(body.readableBytes)) }
            // The whole request in one write: a server that answers after the head and closes the
            // connection (`Connection: close`) must not find a later write of ours on a closed channel.
            var request: [HTTPClientRequestPart] = [.head(head)]
            if let body { request.append(.body(.byteBuffer(body))) }
            request.append(.end(nil))
            try await outbound.write(contentsOf: request)
            var parts = inbound.makeAsyncIterator()
            guard case .head(let responseHead)? = try await parts.next() else {
                throw TestServerError("the connection closed without a response")
            }
            var response = Response(status: Int(responseHead.status.code), headers: responseHead.headers, parts: parts)
            return try await read(&response)
        }
    }
}
