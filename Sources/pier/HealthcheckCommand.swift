import ArgumentParser
import AsyncHTTPClient
import Config
import Foundation
import NIOCore
import NIOSSL

/// `pier healthcheck [CONFIG]`: asks the registry this configuration describes whether it
/// answers, for a container's `HEALTHCHECK` or a compose `healthcheck:`.
///
/// Pier's image has no shell, `wget` or `curl` for the usual `wget --spider` check, so the
/// binary checks itself: `GET /v2/` on the configured listener (its TLS, its Unix socket,
/// its path prefix), healthy on 200 or 401 (the API answers; credentials are not the
/// question), exit 0, else exit 1 with the reason.
struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 when the registry this configuration describes answers, 1 otherwise.",
        discussion: """
            Reads the configuration as `pier serve` does (CONFIG, REGISTRY_CONFIGURATION_PATH, REGISTRY_* variables) \
            and asks GET /v2/ of its listener on the loopback address. For compose: \
            healthcheck: {test: ["CMD", "/pier", "healthcheck", "/etc/docker/registry/config.yml"]}.
            """
    )

    @Argument(help: "A distribution-style config.yml; when omitted, the one REGISTRY_CONFIGURATION_PATH names, else the embedded default.")
    var config: String?

    @Option(help: "Seconds to wait for the answer.")
    var timeout = 5

    func run() async throws {
        let settings = try loadConfiguration(config)
        let url = Self.url(settings)
        var configuration = HTTPClient.Configuration()
        // The listener's own certificate is for its public name, not the loopback address.
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        configuration.tlsConfiguration = tls
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let status: Int
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(Int64(max(1, timeout))))
            status = Int(response.status.code)
            _ = try? await response.body.collect(upTo: 1 << 20)
            try? await client.shutdown()
        } catch {
            try? await client.shutdown()
            FileHandle.standardError.write(Data("unhealthy: \(url): \(error)\n".utf8))
            throw ExitCode(1)
        }
        guard status == 200 || status == 401 else {
            FileHandle.standardError.write(Data("unhealthy: \(url) answered \(status)\n".utf8))
            throw ExitCode(1)
        }
        print("healthy: \(url) answered \(status)")
    }

    /// The URL of `/v2/` on the listener, by the IPv4 loopback address when it binds every one.
    static func url(_ settings: PierConfiguration) -> String {
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
}
