import Foundation
import OCI

/// One event in distribution's notification format, so receivers written for distribution
/// (webhooks, indexers, audit logs) take Pier's events unchanged.
public struct RegistryEvent: Codable, Sendable, Equatable {
    /// The thing acted on.
    public struct Target: Codable, Sendable, Equatable {
        public var mediaType: String?
        public var digest: String?
        public var size: Int64?
        public var length: Int64?
        public var repository: String
        public var fromRepository: String?
        public var url: String?
        public var tag: String?

        public init(
            mediaType: String? = nil, digest: String? = nil, size: Int64? = nil, repository: String,
            fromRepository: String? = nil, url: String? = nil, tag: String? = nil
        ) {
            self.mediaType = mediaType
            self.digest = digest
            self.size = size
            self.length = size
            self.repository = repository
            self.fromRepository = fromRepository
            self.url = url
            self.tag = tag
        }
    }

    /// The request that caused the event.
    public struct Request: Codable, Sendable, Equatable {
        public var id: String
        public var addr: String
        public var host: String
        public var method: String
        public var useragent: String

        public init(id: String, addr: String, host: String, method: String, useragent: String) {
            self.id = id
            self.addr = addr
            self.host = host
            self.method = method
            self.useragent = useragent
        }
    }

    /// Who made the request: the authenticated user, absent for anonymous callers.
    public struct Actor: Codable, Sendable, Equatable {
        public var name: String?

        public init(name: String? = nil) { self.name = name }
    }

    /// The registry instance that emitted the event.
    public struct Source: Codable, Sendable, Equatable {
        public var addr: String
        public var instanceID: String

        public init(addr: String, instanceID: String) {
            self.addr = addr
            self.instanceID = instanceID
        }
    }

    public var id: String
    public var timestamp: String
    public var action: String
    public var target: Target
    public var request: Request
    public var actor: Actor
    public var source: Source

    public init(action: String, target: Target, request: Request, actor: Actor = Actor(), source: Source) {
        self.id = UUID.random().uuidString.lowercased()
        self.timestamp = Self.now()
        self.action = action
        self.target = target
        self.request = request
        self.actor = actor
        self.source = source
    }

    private static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}

/// The body of a notification POST: `{"events":[…]}`.
public struct EventEnvelope: Codable, Sendable {
    public var events: [RegistryEvent]

    public init(events: [RegistryEvent]) { self.events = events }
}
