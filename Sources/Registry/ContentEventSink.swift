/// Where the registry publishes its ``ContentEvent``s: one sink, injected when the registry
/// is built, so no door has to remember to notify and a change made by any code path is
/// seen by every subscriber.
///
/// The registry awaits ``receive(_:)`` after the change is durable and before the caller
/// gets its answer; a sink must not fail the operation (it logs instead) and should return
/// quickly (queue, then deliver in the background).
public protocol ContentEventSink: Sendable {
    /// Takes one event.
    func receive(_ event: ContentEvent) async

    /// How much of a request's origin this sink reads, so doors gather no more than that:
    /// a manifest GET should not format addresses and links nobody will read.
    var detail: EventDetail { get }
}

extension ContentEventSink {
    /// Everything, unless a sink says otherwise.
    public var detail: EventDetail { .full }

    /// Whether anyone listens; when not, doors may skip gathering a request's details.
    public var isListening: Bool { detail != .none }
}

/// How much of a ``RequestOrigin`` the subscribers of a registry read.
public enum EventDetail: Int, Sendable, Comparable {
    /// Nobody listens: no event is even built.
    case none
    /// Only ``RequestOrigin/actor`` (the index records who pushed).
    case actor
    /// The actor and ``RequestOrigin/linkBase`` (webhooks link to where the pusher reached
    /// the registry when `http.host` does not say).
    case links
    /// The whole origin: address, host, method, user agent, links (notifications).
    case full

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The sink of a registry nobody subscribes to.
public struct NoContentEvents: ContentEventSink {
    public init() {}
    /// Drops the event.
    public func receive(_ event: ContentEvent) async {}
    /// None: doors skip gathering request details.
    public var detail: EventDetail { .none }
}
