import KVCache

/// What `scope serve` was started with (everything but the model and the scheduler).
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0: an ephemeral port (tests).
    public var port: Int
    /// Requests to `/v1/...` must carry `Authorization: Bearer <apiKey>` when set.
    public var apiKey: String?
    /// The `id` reported by `/v1/models` and in responses.
    public var modelID: String
    /// The compression of requests without `kv_compression` (and the base its fields are applied to).
    public var defaultCompression: CompressionConfig
    /// Larger request bodies are answered 413.
    public var maxBodyBytes: Int
    /// At shutdown, running requests may finish for this long before they are cancelled.
    public var shutdownGrace: Duration
    /// Seconds a client is told to wait (`Retry-After`) when the queue is full.
    public var retryAfterSeconds: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, apiKey: String? = nil, modelID: String,
                defaultCompression: CompressionConfig = .fullKV, maxBodyBytes: Int = 4 << 20,
                shutdownGrace: Duration = .seconds(30), retryAfterSeconds: Int = 1) {
        self.host = host
        self.port = port
        self.apiKey = apiKey
        self.modelID = modelID
        self.defaultCompression = defaultCompression
        self.maxBodyBytes = maxBodyBytes
        self.shutdownGrace = shutdownGrace
        self.retryAfterSeconds = retryAfterSeconds
    }
}
