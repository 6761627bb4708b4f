import AsyncHTTPClient
import Config
import Foundation
import NIOCore
import NIOSSL

/// Whether the registry a configuration describes answers: what `pier healthcheck` asks
/// for a container's health check.
///
/// Pier's image has no shell, `wget` or `curl` for the usual `wget --spider` check, so the
/// binary checks itself: `GET /v2/` on the configured listener (its TLS, its Unix socket,
/// its path prefix), healthy on 200 or 401 (the API answers; credentials are not the
/// question).
public enum Healthcheck {
    /// The URL of `/v2/` on the listener, by the IPv4 loopback address when it binds every one.
    public static func url(_ settings: PierConfiguration) -> String {
        let path = settings.pathPrefix + "/v2/"
        if let socket = settings.unixSocket {
            return "http+unix://" + (socket.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socket) + path
        }
        let scheme = settings.tls == nil ? "http" : "https"
        var host = settings.host
        // `::` binds IPv4 too (Pier binds it only where it does), and a container may have no
        // IPv6 loopback address.
        if host == "0.0.0.0" || host == "::" || host.isEmpty { host = "127.0.0.1" }
        if host.contains(":") { host = "[" + host + "]" }
        return "\(scheme)://\(host):\(settings.port)\(path)"
    }

    /// Asks `url`; healthy on 200 or 401, with what was seen either way.
    /// The listener's certificate is not verified: it is made out to the registry's public
    /// name, not to the loopback address, and the probe sends nothing secret.
    public static func probe(_ url: String, timeout: TimeAmount) async -> (healthy: Bool, detail: String) {
        var configuration = HTTPClient.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        configuration.tlsConfiguration = tls
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: timeout)
            let status = Int(response.status.code)
            _ = try? await response.body.collect(upTo: 1 << 20)
            try? await client.shutdown()
            return (status == 200 || status == 401, "\(url) answered \(status)")
        } catch {
            try? await client.shutdown()
            return (false, "\(url): \(error)")
        }
    }
}
