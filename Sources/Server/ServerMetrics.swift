import Generation
import Prometheus

/// The server's Prometheus metrics (`GET /metrics`). Counters and histograms are recorded as
/// requests finish; the scheduler gauges are read from its snapshot at each scrape.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let generatedTokens: Counter
    private let promptTokens: Counter
    private let cachedPromptTokens: Counter
    private let promptCacheBytes: Gauge
    private let promptCacheEntries: Gauge
    private let promptCacheLimitBytes: Gauge
    private let disconnected: Counter
    private let queueDepth: Gauge
    private let running: Gauge
    private let kvBytesInUse: Gauge
    private let kvBytesReserved: Gauge
    private let kvBudgetBytes: Gauge
    private let timeToFirstToken: DurationHistogram
    private let timePerOutputToken: DurationHistogram

    init() {
        generatedTokens = registry.makeCounter(descriptor: Self.metric("scope_generated_tokens_total", "Tokens generated, all requests."))
        promptTokens = registry.makeCounter(descriptor: Self.metric("scope_prompt_tokens_total", "Prompt tokens processed, all requests."))
        cachedPromptTokens = registry.makeCounter(descriptor: Self.metric(
            "scope_prompt_cached_tokens_total", "Prompt tokens of finished sequences that started from the prompt cache instead of a prefill."))
        promptCacheBytes = registry.makeGauge(descriptor: Self.metric("scope_prompt_cache_bytes", "Bytes held by the prompt cache."))
        promptCacheEntries = registry.makeGauge(descriptor: Self.metric("scope_prompt_cache_entries", "Prompts held by the prompt cache."))
        promptCacheLimitBytes = registry.makeGauge(descriptor: Self.metric("scope_prompt_cache_limit_bytes",
                                                                           "The prompt cache's size limit in bytes (0: off)."))
        disconnected = registry.makeCounter(descriptor: Self.metric("scope_requests_disconnected_total",
                                                                    "Generations cancelled because the client closed its connection."))
        queueDepth = registry.makeGauge(descriptor: Self.metric("scope_queue_depth", "Sequences waiting for admission."))
        running = registry.makeGauge(descriptor: Self.metric("scope_running_sequences", "Sequences admitted and generating."))
        kvBytesInUse = registry.makeGauge(descriptor: Self.metric("scope_kv_bytes_in_use", "Measured bytes of the live KV caches."))
        kvBytesReserved = registry.makeGauge(descriptor: Self.metric("scope_kv_bytes_reserved", "Worst-case KV bytes of the admitted sequences."))
        kvBudgetBytes = registry.makeGauge(descriptor: Self.metric("scope_kv_budget_bytes", "The KV budget in bytes (-1: unbounded)."))
        let ttftBuckets: [Duration] = [.milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                       .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
                                       .seconds(10), .seconds(30), .seconds(60)]
        timeToFirstToken = registry.makeDurationHistogram(
            descriptor: Self.metric("scope_time_to_first_token_seconds", "From request arrival to the first generated token."),
            buckets: ttftBuckets)
        let tpotBuckets: [Duration] = [.milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
                                       .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                       .milliseconds(500), .seconds(1)]
        timePerOutputToken = registry.makeDurationHistogram(
            descriptor: Self.metric("scope_time_per_output_token_seconds", "Mean time between output tokens of a request, after the first."),
            buckets: tpotBuckets)
    }

    /// A metric's descriptor under its full Prometheus name (no separate unit suffix).
    static func metric(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// Counts one answered request by endpoint (`chat`, `completions`, `models`, ...) and HTTP status.
    func countRequest(route: String, status: Int) {
        registry.makeCounter(descriptor: Self.metric("scope_requests_total", "HTTP requests answered, by route and status."),
                             labels: [("route", route), ("status", String(status))]).increment()
    }

    /// Counts a generation cancelled by its client's disconnect.
    func countDisconnect() { disconnected.increment() }

    /// Records a finished generation.
    func recordGeneration(promptTokens prompt: Int, cachedTokens cached: Int, generatedTokens generated: Int,
                          timeToFirstToken ttft: Duration?, timePerOutputToken tpot: Duration?) {
        promptTokens.increment(by: Int64(prompt))
        cachedPromptTokens.increment(by: Int64(cached))
        generatedTokens.increment(by: Int64(generated))
        if let ttft { timeToFirstToken.record(ttft) }
        if let tpot { timePerOutputToken.record(tpot) }
    }

    /// The Prometheus text, with the scheduler gauges set from `snapshot`.
    func exposition(_ snapshot: SchedulerMetrics) -> String {
        queueDepth.set(Int64(snapshot.queued))
        running.set(Int64(snapshot.running))
        kvBytesInUse.set(Int64(snapshot.kvBytesInUse))
        kvBytesReserved.set(Int64(snapshot.kvBytesReserved))
        kvBudgetBytes.set(Int64(snapshot.kvBudgetBytes ?? -1))
        promptCacheBytes.set(Int64(snapshot.promptCacheBytes))
        promptCacheEntries.set(Int64(snapshot.promptCacheEntries))
        promptCacheLimitBytes.set(Int64(snapshot.promptCacheLimitBytes))
        return registry.emitToString()
    }
}
