import AsyncHTTPClient
import Net
import Foundation
public import Logging
import Metrics
import NIOCore
import NIOHTTP1
import OCI

/// Sends registry events to the configured endpoints, each from its own durable queue, in
/// order, retrying with the endpoint's backoff until it answers 2xx.
public final class Notifier: Sendable {
    private let endpoints: [(NotificationEndpoint, EventQueue<RegistryEvent>)]
    private let logger: Logger
    /// This instance, as every event names it.
    public let source: RegistryEvent.Source
    private let depth = Gauge(label: "pier_notification_queue_depth")

    /// Opens every endpoint's queue under `directory/<endpoint name>` (see
    /// ``queueDirectories(_:)``).
    public init(endpoints: [NotificationEndpoint], directory: String, source: RegistryEvent.Source, logger: Logger) async throws {
        var opened = [(NotificationEndpoint, EventQueue<RegistryEvent>)]()
        for (endpoint, name) in zip(endpoints, Self.queueDirectories(endpoints)) {
            opened.append((endpoint, try await EventQueue<RegistryEvent>(directory: directory + "/" + name)))
        }
        self.endpoints = opened
        self.source = source
        self.logger = logger
    }

    /// One directory name per endpoint: its name with what a file name cannot hold made
    /// `_`, as always. Endpoints whose names come out the same (`audit log` and
    /// `audit_log`, or one name given twice, which distribution allows) shared one queue:
    /// the one delivering first removed the events, the other never had them. The first of
    /// them keeps the plain name (and a backlog left there); each later one gets the name
    /// and a digest of its name and URL (without credentials, so rotating a password keeps
    /// its queue), then a number if even that is taken.
    static func queueDirectories(_ endpoints: [NotificationEndpoint]) -> [String] {
        var taken = Set<String>()
        return endpoints.map { endpoint in
            let safe = String(endpoint.name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
            var name = safe
            if taken.contains(name) {
                name = safe + "-" + Digest.of((endpoint.name + "\n" + endpoint.destination.url).utf8).encoded.prefix(12)
            }
            let base = name
            var number = 2
            while taken.contains(name) {
                name = base + "-\(number)"
                number += 1
            }
            taken.insert(name)
            return name
        }
    }

    /// Queues an event for every endpoint that wants it. Failing to queue is logged, never
    /// turned into a failed request: the registry operation itself succeeded.
    public func emit(_ event: RegistryEvent) async {
        for (endpoint, queue) in endpoints where endpoint.accepts(event) {
            do {
                if try await !queue.append(event) {
                    logger.warning("notification queue full, event dropped", metadata: ["endpoint": "\(endpoint.name)"])
                }
            } catch {
                logger.error("cannot queue notification", metadata: ["endpoint": "\(endpoint.name)", "error": "\(error)"])
            }
        }
        updateDepth()
    }

    private func updateDepth() {
        depth.record(endpoints.reduce(0) { $0 + $1.1.depth })
    }

    /// Delivers queued events until cancelled.
    public func run() async {
        // A backlog a previous run left in the queues shows at once: otherwise the depth
        // read 0 until the first event or delivery, and with the receiver still down that
        // could be never.
        updateDepth()
        await withTaskGroup(of: Void.self) { group in
            for (endpoint, queue) in endpoints {
                group.addTask { await self.deliver(endpoint, queue) }
            }
        }
    }

    private func deliver(_ endpoint: NotificationEndpoint, _ queue: EventQueue<RegistryEvent>) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let batch = try await queue.peek(32)
                if batch.isEmpty {
                    try? await Task.sleep(for: .milliseconds(100))
                    continue
                }
                try await post(EventEnvelope(events: batch.map(\.1)), to: endpoint)
                try await queue.acknowledge(batch.map(\.0))
                updateDepth()
                if failures > 0 {
                    logger.info("notification endpoint recovered", metadata: ["endpoint": "\(endpoint.name)"])
                }
                failures = 0
            } catch {
                failures += 1
                if failures == 1 || failures == endpoint.threshold {
                    logger.warning(
                        "notification delivery failing",
                        metadata: ["endpoint": "\(endpoint.name)", "failures": "\(failures)", "error": "\(error)"]
                    )
                }
                try? await Task.sleep(for: endpoint.backoff)
            }
        }
    }

    private struct DeliveryError: Error, CustomStringConvertible {
        let description: String
    }

    private func post(_ envelope: EventEnvelope, to endpoint: NotificationEndpoint) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let destination = endpoint.destination
        var request = HTTPClientRequest(url: destination.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: endpoint.mediaType)
        if let authorization = destination.authorization { request.headers.add(name: "Authorization", value: authorization) }
        for (name, values) in endpoint.headers {
            for value in values { request.headers.add(name: name, value: value) }
        }
        request.body = .bytes(ByteBuffer(bytes: Array(try encoder.encode(envelope))))
        let response = try await OutboundClient.shared.execute(request, timeout: .nanoseconds(endpoint.timeout.nanoseconds))
        _ = try? await response.body.collect(upTo: 1 << 16)
        guard (200..<300).contains(response.status.code) else {
            throw DeliveryError(description: "\(endpoint.displayURL) answered \(response.status.code)")
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
