import AsyncHTTPClient
import NIOCore
import Synchronization

/// An HTTP client that goes through the proxy ``ProxyEnvironment`` names for each request's
/// host, and straight to the host where none applies.
///
/// AsyncHTTPClient takes its proxy per client, while the environment decides per host
/// (`NO_PROXY`): one client is kept per proxy a request needed, made on first use from one
/// configuration, so requests to hosts that share a route share a connection pool.
/// Redirects are followed within the client the first request chose.
public final class OutboundClient: Sendable {
    private let configuration: HTTPClient.Configuration
    private let environment: ProxyEnvironment
    private let clients = Mutex<[ProxyEnvironment.Proxy?: HTTPClient]>([:])
    private let closed = Mutex(false)

    /// One for requests that need nothing of their own (notifications, health checks), as
    /// `HTTPClient.shared` is; never shut down.
    public static let shared = OutboundClient(configuration: .singletonConfiguration)

    public init(configuration: HTTPClient.Configuration, environment: ProxyEnvironment = .process) {
        self.configuration = configuration
        self.environment = environment
    }

    /// The proxy a request to `url` takes; nil for a direct connection.
    public func proxy(for url: String) -> ProxyEnvironment.Proxy? {
        environment.proxy(for: url)
    }

    /// Sends `request` on the client for its host's route.
    public func execute(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> HTTPClientResponse {
        try await client(for: request.url).execute(request, timeout: timeout)
    }

    /// The client requests to `url` go out on.
    public func client(for url: String) throws -> HTTPClient {
        let proxy = environment.proxy(for: url)
        return try clients.withLock { clients in
            if let client = clients[proxy] { return client }
            guard !closed.withLock({ $0 }) else { throw HTTPClientError.alreadyShutdown }
            var configuration = configuration
            configuration.proxy = proxy.map(Self.clientProxy)
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[proxy] = client
            return client
        }
    }

    /// Closes every client made; later requests fail.
    public func shutdown() async {
        closed.withLock { $0 = true }
        let made = clients.withLock { clients in
            defer { clients.removeAll() }
            return Array(clients.values)
        }
        for client in made { try? await client.shutdown() }
    }

    private static func clientProxy(_ proxy: ProxyEnvironment.Proxy) -> HTTPClient.Configuration.Proxy {
        switch proxy.kind {
        case .socks5:
            return .socksServer(host: proxy.host, port: proxy.port)
        case .http:
            let authorization = proxy.username.map { HTTPClient.Authorization.basic(username: $0, password: proxy.password ?? "") }
            return .server(host: proxy.host, port: proxy.port, authorization: authorization)
        }
    }
}
