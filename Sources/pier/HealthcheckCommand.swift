import ArgumentParser
import Foundation
import Server

/// `pier healthcheck [CONFIG]`: asks the registry this configuration describes whether it
/// answers (``Healthcheck``), for a container's `HEALTHCHECK` or a compose `healthcheck:`.
struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 when the registry this configuration describes answers, 1 otherwise.",
        discussion: """
            Reads the configuration as `pier serve` does (CONFIG, REGISTRY_CONFIGURATION_PATH, REGISTRY_* variables) \
            and asks GET /v2/ of its listener on the loopback address: healthy on 200, or 401 when credentials are \
            required. With http.tls.clientcas the probe has no client certificate and fails. For compose: \
            healthcheck: {test: ["CMD", "/pier", "healthcheck", "/etc/docker/registry/config.yml"]}.
            """
    )

    @Argument(help: "A distribution-style config.yml; when omitted, the one REGISTRY_CONFIGURATION_PATH names, else the embedded default.")
    var config: String?

    @Option(help: "Seconds to wait for the answer.")
    var timeout = 5

    func run() async throws {
        let settings = try loadConfiguration(config)
        let (healthy, detail) = await Healthcheck.probe(Healthcheck.url(settings), timeout: .seconds(Int64(max(1, timeout))))
        guard healthy else {
            FileHandle.standardError.write(Data("unhealthy: \(detail)\n".utf8))
            throw ExitCode(1)
        }
        print("healthy: \(detail)")
    }
}
