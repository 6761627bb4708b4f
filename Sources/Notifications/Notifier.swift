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
    /// `_`, as before, where that is the endpoint's alone. Endpoints whose names come out
    /// the same (`audit log` and `audit_log`, or one name given twice, which distribution
    /// allows) shared one queue: the one delivering first removed the events, the other
    /// never had them. Those get the name and a digest of name and URL, then their place
    /// in the list if even that is shared, so each keeps its queue across restarts.
    static func queueDirectories(_ endpoints: [NotificationEndpoint]) -> [String] {
        let safe = endpoints.map { endpoint in
            String(endpoint.name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        }
        var counts = [String: Int]()
        for name in safe { counts[name, default: 0] += 1 }
        let named = zip(endpoints, safe).map { endpoint, name in
            guard counts[name, default: 0] > 1 else { return name }
            return name + "-" + Digest.of((endpoint.name + "\n" + endpoint.url).utf8).encoded.prefix(12)
        }
        var seen = [String: Int]()
        return named.map { name in
            seen[name, default: 0] += 1
            return seen[name, default: 0] == 1 ? name : name + "-\(seen[name, default: 0])"
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
