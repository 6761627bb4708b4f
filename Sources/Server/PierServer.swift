import CSystemShims
import Foundation
import Hummingbird
public import Logging
import NIOCore
import Registry
import Storage

/// Builds the registry from a configuration and serves it until SIGTERM or SIGINT, then
/// drains in-flight requests before returning.
public struct PierServer: Sendable {
    public let configuration: PierConfiguration
    public let logger: Logger

    public init(configuration: PierConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Absolute storage root, so a relative `./data` means the directory Pier started in.
    var storageRoot: String {
        var root = configuration.storageRoot
        if root.hasPrefix("/") { return root }
        while root.hasPrefix("./") { root.removeFirst(2) }
        return FileManager.default.currentDirectoryPath + "/" + root
    }

    public func run() async throws {
        pier_tune_allocator()
        let driver = FileSystemDriver(root: storageRoot)
        let registry = Registry(driver: driver, options: .init(deleteEnabled: configuration.deleteEnabled))
        let accessLog = configuration.accessLogEnabled
            ? AccessLog(format: configuration.logFormat == .json ? .json : .text)
            : nil
        let responder = RegistryResponder(
            registry: registry,
            logger: logger,
            accessLog: accessLog,
            catalogMaxEntries: configuration.catalogMaxEntries
        )
        let app = Application(
            responder: responder,
            server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()])),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { [logger, configuration] channel in
                logger.info(
                    "pier listening",
                    metadata: [
                        "address": "\(channel.localAddress?.description ?? "\(configuration.host):\(configuration.port)")",
                        "storage": "\(storageRoot)",
                    ]
                )
            },
            logger: logger
        )
        let flusher = Task { await accessLog?.run() }
        var failure: (any Error)?
        do { try await app.runService() } catch { failure = error }
        // Let a write the flusher already started finish, then write what is left.
        flusher.cancel()
        await flusher.value
        accessLog?.flushNow()
        if let failure { throw failure }
    }
}
