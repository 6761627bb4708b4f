import ACME
import Config
import CSystemShims
import Foundation
import Hummingbird
import Index
import IndexAPI
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import NIOSSL
import HTTPTypes
import Metrics
import Notifications
import Prometheus
import ServiceLifecycle
import UnixSignals
public import Logging
import NIOCore
import Registry
import RegistryAPI
import Web

/// Builds the registry from a configuration and serves it until SIGTERM or SIGINT, then
/// drains in-flight requests before returning.
public struct PierServer: Sendable {
    public let configuration: PierConfiguration
    public let logger: Logger

    /// The parts the configuration describes, built the same way for every command; one
    /// for the server's life, so the access controller and the index share their grants.
    let bootstrap: Bootstrap

    public init(configuration: PierConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.bootstrap = Bootstrap(configuration: configuration, logger: logger)
    }

    public func run() async throws {
        // First of all: until SIGHUP is trapped its default action ends the process, and a
        // `systemctl reload` during a slow start (the index, the store) would take Pier down.
        let hangupSignals = await UnixSignalsSequence(trapping: .sighup)
        pier_tune_allocator()
        // Before any metric handle exists, so every one reports to Prometheus (with its
        // `# HELP` line: ``PierMetricsFactory``).
        var metrics: (path: String, collector: PrometheusCollectorRegistry)?
        if let path = configuration.prometheusPath {
            let collector = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PierMetricsFactory(registry: collector))
            metrics = (path, collector)
        }
        let content = try await bootstrap.makeContent(port: configuration.port)
        // The index never stops the registry: without its database, Pier serves without it.
        var index: RepositoryIndex?
        do {
            index = try await bootstrap.makeIndex()
        } catch {
            logger.error("index database could not be opened; serving without the index", metadata: ["path": "\(bootstrap.indexLocation)", "error": "\(error)"])
        }
        let feeding = Task { [index, logger] in
            guard let feed = content.indexFeed else { return }
            guard let index else {
                // Without its database the events go nowhere: the store is told, so the
                // first run (here or on another instance) that has its index re-reads it.
                await feed.runWithoutIndex(marks: content.registry, logger: logger)
                return
            }
            // The local registry, not the mirror: indexing a cached index must not fetch
            // platforms nobody pulled (the facts hold what the cache holds).
            await feed.run(index: index, content: content.registry, marks: content.registry, logger: logger)
        }
        do {
            try await serve(content, index: index, metrics: metrics, hangups: hangupSignals)
        } catch {
            content.indexFeed?.finish()
            await feeding.value
            await index?.database.close()
            await content.shutdown()
            throw error
        }
        content.indexFeed?.finish()
        await feeding.value
        await index?.database.close()
        await content.shutdown()
    }

    private func serve(
        _ content: Bootstrap.Content, index: RepositoryIndex?, metrics: (path: String, collector: PrometheusCollectorRegistry)?,
        hangups hangupSignals: UnixSignalsSequence
    ) async throws {
        let registry = content.registry
        let notifier = content.notifier
        // Webhooks need the index: their hooks and history live in it.
        let webhooks = index.flatMap { index in content.webhooks.map { $0.attach(index); return $0 } }
        let accessLog = configuration.accessLogEnabled
            ? AccessLog(format: configuration.logFormat == .json ? .json : .text, fields: configuration.logFields)
            : nil
        var headers = HTTPFields()
        for (name, values) in configuration.responseHeaders {
            guard let field = HTTPField.Name(name) else { continue }
            for value in values { headers.append(HTTPField(name: field, value: value)) }
        }
        let parts = try bootstrap.makeAccess()
        let access = parts.controller
        let tokenEndpoint = parts.tokenServer.map {
            TokenEndpoint(path: $0.path, issuer: $0.issuer, users: $0.users, access: $0.access)
        }
        let certificateFiles = try Self.certificateFiles(configuration.tls)
        let acme = try configuration.tls?.acme.map { settings in
            try CertificateManager(
                settings: .init(
                    directoryURL: settings.directoryURL,
                    email: settings.email,
                    hosts: settings.hosts,
                    cacheFile: settings.cacheFile,
                    renewBefore: settings.renewBefore,
                    checkInterval: settings.checkInterval,
                    // distribution proves control on the TLS port alone; with a plain
                    // listener, http-01 on it first, and the TLS port when that ended
                    // invalid (a plain listener for internal pulls, only 443 public).
                    challengeTypes: configuration.plainListener == nil ? [.tlsALPN01] : [.http01, .tlsALPN01]
                ),
                logger: logger
            )
        }
        if let acme, acme.settings.challengeTypes.first == .tlsALPN01 {
            // Behind a published port (`-p 443:5000`) the listener's own port says nothing.
            logger.info(
                "ACME proves control of the hosts over tls-alpn-01: validators connect to port 443 of each host, which must reach this listener",
                metadata: ["port": "\(configuration.port)", "hosts": "\(acme.settings.hosts.joined(separator: ","))"]
            )
        }
        let health = configuration.healthChecks.isEmpty ? nil : HealthMonitor(settings: configuration.healthChecks, store: content.store)
        let indexAPI = index.map { IndexResponder(
            index: $0, access: access, logins: parts.logins, registry: registry, webhooks: webhooks,
            pathPrefix: configuration.pathPrefix, logger: logger
        ) }
        func responder(directBodies: Bool, scheme: String) -> FrontDispatcher {
            FrontDispatcher(
                registryAPI: RegistryResponder(
                    registry: content.store,
                    logger: logger,
                    settings: .init(
                        pathPrefix: configuration.pathPrefix,
                        externalURL: configuration.externalURL,
                        relativeURLs: configuration.relativeURLs,
                        catalogMaxEntries: configuration.catalogMaxEntries,
                        directBodies: directBodies,
                        scheme: scheme
                    ),
                    access: access
                ),
                tokenEndpoint: tokenEndpoint,
                indexAPI: indexAPI,
                web: configuration.web.enabled ? index.flatMap { index in
                    indexAPI.map { WebResponder(
                        index: index, indexAPI: $0, logins: parts.logins, registry: registry,
                        settings: .init(
                            prefix: configuration.pathPrefix + configuration.web.prefix, externalURL: configuration.externalURL, scheme: scheme
                        ),
                        logger: logger
                    ) }
                } : nil,
                acmeChallenges: acme?.challenges,
                accessLog: accessLog,
                trustedProxies: configuration.trustedProxies,
                health: health,
                extraHeaders: headers
            )
        }
        let address: BindAddress = configuration.unixSocket.map { .unixDomainSocket(path: $0) }
            ?? .hostname(configuration.host, port: configuration.port)
        if let socket = configuration.unixSocket { try Self.clearStaleSocket(socket) }
        // Closes connections idle between requests, or stalled while sending a body, so a
        // vanished client cannot hold an upload session forever.
        let idle = TimeAmount(configuration.idleTimeout)
        let headerTimeout = TimeAmount(configuration.headerTimeout)
        let limiter = ConnectionLimiter(
            limit: configuration.maxConnections ?? Self.defaultConnectionLimit(), silence: headerTimeout,
            stall: TimeAmount(configuration.writeTimeout), logger: logger
        )
        let plainHTTP = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                UnreadBodyHandler(), RequestHeadTimeoutHandler(timeout: headerTimeout), ExpectContinueHandler(), DirectBodyHandler.Installer(),
            ],
            idleTimeout: idle
        )
        /// The redirect listener's: no request bodies to manage, the same timeouts.
        let guarded = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestHeadTimeoutHandler(timeout: headerTimeout)],
            idleTimeout: idle
        )
        let onRunning: @Sendable (any Channel) async -> Void = { [logger, configuration] channel in
            // Start-up is over: give back the code and constant pages only it needed.
            pier_release_startup_pages()
            logger.info(
                "pier listening",
                metadata: [
                    "address": "\(channel.localAddress?.description ?? "\(configuration.host):\(configuration.port)")",
                    "tls": "\(configuration.tls != nil)",
                    "storage": "\(bootstrap.storageDescription)",
                    "readonly": "\(configuration.readOnly)",
                ]
            )
        }
        /// The registry over plain HTTP, where blob bytes may bypass the HTTP encoder.
        func plainApplication(_ address: BindAddress, _ onRunning: @escaping @Sendable (any Channel) async -> Void) -> some Service {
            Application(
                responder: responder(directBodies: true, scheme: "http"),
                server: HTTPServerBuilder { EventLoopPinnedChannel(HTTP1Channel(responder: $0, configuration: plainHTTP), limiter: limiter) },
                configuration: .init(address: address, backlog: Self.listenBacklog),
                onServerRunning: onRunning,
                logger: logger
            )
        }
        // First, so it is told of a shutdown last (``ConnectionReaper``).
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: ConnectionReaper(limiter: limiter, logger: logger))]
        if let tls = configuration.tls {
            let tlsConfiguration = try makeTLSConfiguration(tls, acme: acme, files: certificateFiles)
            // Blob bytes cannot bypass the TLS handler: over HTTP/1.1 they go right above it.
            // HTTP/2 streams with a body get a window that a large push is not paced by.
            let streams = HTTP1Channel.Configuration(
                additionalChannelHandlers: [
                    UnreadBodyHandler(), RequestHeadTimeoutHandler(timeout: headerTimeout), ExpectContinueHandler(),
                    EncryptedFileBodyHandler.Installer(),
                    HTTP2StreamWindowHandler.Installer(), HTTP2StreamStallHandler(timeout: TimeAmount(configuration.writeTimeout * 5)),
                ],
                idleTimeout: idle
            )
            let http2 = HTTP2UpgradeChannel.Configuration(idleTimeout: configuration.idleTimeout, streamConfiguration: streams)
            let validations = acme?.settings.overTLS == true ? acme?.alpnChallenges : nil
            let server = configuration.http2Disabled
                ? HTTPServerBuilder {
                    EventLoopPinnedChannel(PlainHTTPRefusingChannel(base: TLSALPNChallengeChannel(
                        base: try TLSChannel(HTTP1Channel(responder: $0, configuration: streams), tlsConfiguration: tlsConfiguration),
                        challenges: validations
                    )), limiter: limiter)
                }
                : HTTPServerBuilder {
                    EventLoopPinnedChannel(PlainHTTPRefusingChannel(base: TLSALPNChallengeChannel(
                        base: try HTTP2UpgradeChannel(tlsConfiguration: tlsConfiguration, configuration: http2, responder: $0),
                        challenges: validations
                    )), limiter: limiter)
                }
            services.append(.init(service: Application(
                responder: responder(directBodies: false, scheme: "https"),
                server: server,
                configuration: .init(address: address, backlog: Self.listenBacklog),
                onServerRunning: onRunning,
                logger: logger
            )))
            if let plain = configuration.plainListener {
                let plainAddress = BindAddress.hostname(plain.host, port: plain.port)
                if plain.redirect {
                    // As guarded as the registry's listeners (header and idle timeouts, the
                    // shared connection limit): idle connections held here without end used
                    // up the process's file descriptors and the HTTPS listener with them.
                    services.append(.init(service: Application(
                        responder: RedirectResponder(
                            httpsPort: configuration.port, externalURL: configuration.externalURL, acmeChallenges: acme?.challenges
                        ),
                        server: HTTPServerBuilder { EventLoopPinnedChannel(HTTP1Channel(responder: $0, configuration: guarded), limiter: limiter) },
                        configuration: .init(address: plainAddress, backlog: Self.listenBacklog),
                        logger: logger
                    )))
                } else {
                    services.append(.init(service: plainApplication(plainAddress, { _ in })))
                }
            }
        } else {
            services.append(.init(service: plainApplication(address, onRunning)))
        }
        if let debug = configuration.debugAddress {
            // Its own limit: a flood of the registry's port must not blind the probes and
            // metrics that would show it. Its own timeouts too, shorter than the registry's
            // (``debugTimeout``): a probe or a scrape sends its whole request at once, so
            // a connection that is silent, trickles its head or idles for 5 s is nobody's
            // probe. With the registry's 30 s, 256 idle or dripping connections held every
            // place for half a minute and the probes were refused meanwhile. Closed within
            // 5 s, and with up to four times the places (``debugConnectionLimit()``), a slow
            // client holds them that long at most and must keep opening many more to try.
            // A scraper that keeps its connection between scrapes only reconnects.
            let debugTimeout = TimeAmount(min(configuration.headerTimeout, Self.debugTimeout))
            let probing = HTTP1Channel.Configuration(
                additionalChannelHandlers: [RequestHeadTimeoutHandler(timeout: debugTimeout)],
                idleTimeout: debugTimeout
            )
            let probes = ConnectionLimiter(
                limit: Self.debugConnectionLimit(), silence: debugTimeout, stall: TimeAmount(configuration.writeTimeout), listeners: "debug"
            )
            let debugApp = Application(
                responder: DebugResponder(registry: content.store, logger: logger, metrics: metrics, health: health),
                server: HTTPServerBuilder { EventLoopPinnedChannel(HTTP1Channel(responder: $0, configuration: probing), limiter: probes) },
                configuration: .init(address: .hostname(debug.host, port: debug.port)),
                logger: logger
            )
            services.append(.init(service: debugApp))
        }
        var group = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        group.maximumGracefulShutdownDuration = configuration.drainTimeout

        let flusher = Task { await accessLog?.run() }
        let purger = Task { await purgeUploads(registry) }
        let collecting = Task { await collectGarbage(registry, index: index) }
        let quotas = Task { await reportQuotas(registry) }
        let delivery = Task { await notifier?.run() }
        let hooks = Task { await webhooks?.run() }
        let certificates = Task { await acme?.run() }
        let watching = Task { await certificateFiles?.watch(every: .seconds(10), logger: logger) }
        let checking = Task { await health?.run(logger: logger) }
        let hangups = Task { await Self.reloadOnHangup(hangupSignals, certificateFiles, logger: logger) }
        var failure: (any Error)?
        do { try await ServiceGroup(configuration: group).run() } catch { failure = error }
        purger.cancel()
        collecting.cancel()
        quotas.cancel()
        delivery.cancel()
        hooks.cancel()
        certificates.cancel()
        watching.cancel()
        checking.cancel()
        hangups.cancel()
        await hooks.value
        // A storage check must be done before the driver is shut down.
        await checking.value
        // The purge uses the storage driver, which is shut down after this returns.
        await purger.value
        await collecting.value
        await quotas.value
        // Let a write the flusher already started finish, then write what is left.
        flusher.cancel()
        await flusher.value
        accessLog?.flushNow()
        if let failure { throw listening(failure) }
    }

    /// Removes abandoned upload sessions now and then every `interval`, as configured by
    /// `storage.maintenance.uploadpurging`.
    private func purgeUploads(_ registry: Registry) async {
        let settings = configuration.uploadPurging
        guard settings.enabled else { return }
        while !Task.isCancelled {
            do {
                let report = try await registry.purgeUploads(olderThan: settings.age, dryRun: settings.dryRun)
                if !report.purged.isEmpty || report.orphans > 0 {
                    logger.info(
                        settings.dryRun ? "upload purge (dry run) would remove sessions" : "upload purge removed sessions",
                        metadata: [
                            "count": "\(report.purged.count)",
                            "sessions": "\(report.purged.prefix(20))",
                            "orphaned_parts": "\(report.orphans)",
                        ]
                    )
                }
            } catch where !Task.isCancelled {
                logger.error("upload purge failed", metadata: ["error": "\(error)"])
            } catch {
                return
            }
            try? await Task.sleep(for: settings.interval)
        }
    }
}
