import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// Runs an `OpenAIServer` as a service with graceful shutdown: on the trigger (SIGTERM/SIGINT in
/// `scope serve`, `ServiceGroup.triggerGracefulShutdown()` in tests) the listener stops accepting,
/// the scheduler stops admitting, running requests may finish for `shutdownGrace`, then the rest
/// are cancelled and `run()` returns. An address that cannot be listened on throws `ListenError`.
public struct ServerRunner: Service {
    let server: OpenAIServer
    let onListening: @Sendable (Int) async -> Void

    /// - Parameter onListening: called with the bound port once the server accepts connections.
    public init(server: OpenAIServer, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.server = server
        self.onListening = onListening
    }

    public func run() async throws {
        let configuration = server.configuration
        let app = Application(
            router: server.router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "scope"),
            onServerRunning: { [onListening] channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: server.logger)
        let scheduler = server.scheduler
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await app.run()
                } catch {
                    throw ListenError(error, host: configuration.host, port: configuration.port) ?? error
                }
            }
            group.addTask {
                // Returns when graceful shutdown is triggered (throws if cancelled first).
                try await gracefulShutdown()
                await scheduler.shutdown(grace: configuration.shutdownGrace)
            }
            _ = try await group.next()
            _ = try await group.next()
        }
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully.
    public func runUntilSignalled(logger: Logger) async throws {
        let group = ServiceGroup(configuration: .init(services: [self], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
