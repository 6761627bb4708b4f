import ArgumentParser
import Foundation
import Logging
import Net
import Config
import Server

/// The `pier` command line.
@main
struct Pier: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pier",
        abstract: "A container image registry: OCI Distribution and Docker Registry V2 in one binary.",
        version: PierVersion.current,
        subcommands: [Serve.self, Config.self, UserCommand.self, HtpasswdCommand.self, IndexCommand.self, GarbageCollectCommand.self, HealthcheckCommand.self],
        defaultSubcommand: nil
    )

    /// Runs the command line as given, except that a first argument naming a YAML file
    /// means `serve` it, as the `registry:2` image's entrypoint reads `docker run registry:2
    /// /etc/docker/registry/config.yml`: Pier's image has no shell for such a script, so a
    /// swapped image must accept the commands the old one was given.
    ///
    /// Run as `htpasswd` (the image's `/bin/htpasswd` is a link to `pier`), or as `pier
    /// htpasswd`, it is Apache's tool: its grouped flags are its own syntax, read before the
    /// argument parser could take `-C` or `-b` for something else.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if CommandLine.arguments.first.map({ ($0 as NSString).lastPathComponent }) == "htpasswd" {
            Foundation.exit(HtpasswdCommand.run(arguments))
        }
        if arguments.first == "htpasswd", arguments.dropFirst().allSatisfy({ $0 != "--help" && $0 != "-h" }) {
            Foundation.exit(HtpasswdCommand.run(Array(arguments.dropFirst())))
        }
        await main(DistributionCommandLine.arguments(arguments))
    }
}

/// `pier serve [CONFIG]`, the same shape as distribution's `registry serve config.yml`.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the registry.",
        discussion: """
            With no CONFIG (and no REGISTRY_CONFIGURATION_PATH naming one), Pier runs on its embedded \
            default: filesystem storage under ./data, listening on port 5000 of every IPv4 and IPv6 address, \
            deletes enabled. CONFIG is a distribution config.yml; REGISTRY_* environment variables override \
            it as they do for distribution. `pier CONFIG.yml` is `pier serve CONFIG.yml`, as in the registry:2 image.
            """
    )

    @Argument(help: "A distribution-style config.yml; when omitted, the one REGISTRY_CONFIGURATION_PATH names, else the embedded default.")
    var config: String?

    func run() async throws {
        let settings = try loadConfiguration(config)
        let format = settings.logFormat
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = format == .json
                ? JSONLogHandler(label: label)
                : TextLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "pier")
        for (key, value) in settings.logFields { logger[metadataKey: key] = "\(value)" }
        for key in settings.unknownKeys {
            logger.warning("unknown configuration key, ignored", metadata: ["key": "\(key)"])
        }
        for setting in settings.ignoredSettings {
            logger.warning("configuration setting not supported, ignored", metadata: ["key": "\(setting.key)", "reason": "\(setting.reason)"])
        }
        // Outbound requests (mirror upstreams, S3, notifications, webhooks, ACME, health
        // checks) follow the environment's proxy, as distribution's do.
        let proxies = ProxyEnvironment.process
        for (variable, proxy) in [("HTTP_PROXY", proxies.httpProxy), ("HTTPS_PROXY", proxies.httpsProxy)] {
            if let proxy { logger.info("outbound requests go through a proxy", metadata: ["variable": "\(variable)", "proxy": "\(proxy)"]) }
        }
        for problem in proxies.problems {
            logger.warning("proxy setting not followed, requests it covers go direct", metadata: ["variable": "\(problem.variable)", "reason": "\(problem.reason)"])
        }
        try await PierServer(configuration: settings, logger: logger).run()
    }
}

/// `pier config check [CONFIG]`: validate a configuration without starting anything.
struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with configuration files.",
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a configuration and print it as Pier reads it.",
            discussion: """
                Applies REGISTRY_* variables from the environment, warns about unknown keys \
                and settings of distribution's that change nothing here, \
                reads the files it names as serve will (TLS certificates and keys, client CAs, \
                the htpasswd file), and prints the configuration as read (the file with the \
                environment's overrides; defaults are not listed) with secrets masked. Exits 1, \
                naming the key, when a value or a file is invalid.
                """
        )

        @Argument(help: "A distribution-style config.yml; when omitted, the one REGISTRY_CONFIGURATION_PATH names, else the embedded default.")
        var config: String?

        func run() throws {
            let settings = try loadConfiguration(config)
            for key in settings.unknownKeys {
                FileHandle.standardError.write(Data("warning: unknown configuration key \(key), ignored\n".utf8))
            }
            for setting in settings.ignoredSettings {
                FileHandle.standardError.write(Data("warning: \(setting.key) is not supported, ignored: \(setting.reason)\n".utf8))
            }
            do {
                try PierServer.checkFiles(settings)
            } catch {
                FileHandle.standardError.write(Data("pier: \(error)\n".utf8))
                throw ExitCode(1)
            }
            print("# configuration is valid")
            print(settings.effectiveYAML, terminator: "")
        }
    }
}

/// Reads the configuration with the environment's overrides; on an invalid one, says why
/// on standard error and exits 1.
func loadConfiguration(_ path: String?) throws -> PierConfiguration {
    do {
        return try PierConfiguration.load(path: path, environment: ProcessInfo.processInfo.environment)
    } catch {
        FileHandle.standardError.write(Data("pier: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// Stops a command that works on existing content (`gc`, `index rebuild`) when its
/// filesystem root is not there: run against a mistyped path it reported success and
/// created an empty store there, as distribution's "Path not found" does not.
func requireExistingStore(_ settings: PierConfiguration) throws {
    guard settings.s3 == nil else { return }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: settings.storageRoot, isDirectory: &isDirectory), isDirectory.boolValue else {
        FileHandle.standardError.write(Data("pier: storage.filesystem.rootdirectory: \(settings.storageRoot) does not exist\n".utf8))
        throw ExitCode(1)
    }
}
