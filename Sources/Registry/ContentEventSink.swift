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

    /// Whether anyone listens; when not, doors may skip gathering a request's details.
    var isListening: Bool { get }
}

extension ContentEventSink {
    public var isListening: Bool { true }
}

/// The sink of a registry nobody subscribes to.
public struct NoContentEvents: ContentEventSink {
    public init() {}
    /// Drops the event.
    public func receive(_ event: ContentEvent) async {}
    /// Never: doors skip gathering request details.
    public var isListening: Bool { false }
}
