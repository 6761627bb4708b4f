import ArgumentParser
import Foundation
import Logging
import Server

/// The `pier` command line.
@main
struct Pier: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pier",
        abstract: "A container image registry: OCI Distribution and Docker Registry V2 in one binary.",
        version: PierVersion.current,
        subcommands: [Serve.self],
        defaultSubcommand: nil
    )
}

/// `pier serve [CONFIG]`, the same shape as distribution's `registry serve config.yml`.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the registry.",
        discussion: """
            With no CONFIG, Pier runs on its embedded default: filesystem storage under ./data, \
            listening on 0.0.0.0:5000, deletes enabled. CONFIG is a distribution config.yml; \
            REGISTRY_* environment variables override it as they do for distribution.
            """
    )

    @Argument(help: "A distribution-style config.yml.")
    var config: String?

    func run() async throws {
        let settings: PierConfiguration
        do {
            settings = try PierConfiguration.load(path: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("pier: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let format = settings.logFormat
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = format == .json
                ? JSONLogHandler(label: label)
                : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "pier")
        try await PierServer(configuration: settings, logger: logger).run()
    }
}
