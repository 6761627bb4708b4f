/// Hands every event to several subscribers in turn (notifications, the index, webhooks),
/// so the registry keeps one sink however many listen.
public struct ContentEventFanOut: ContentEventSink {
    /// Those that listen, in the order they hear each event.
    public let subscribers: [any ContentEventSink]

    /// Keeps only the subscribers that listen, so an empty fan-out says nobody does.
    public init(_ subscribers: [any ContentEventSink]) {
        self.subscribers = subscribers.filter(\.isListening)
        self.detail = self.subscribers.map(\.detail).max() ?? .none
    }

    /// Hands the event to each subscriber, one after the other.
    public func receive(_ event: ContentEvent) async {
        for subscriber in subscribers { await subscriber.receive(event) }
    }

    /// The most any subscriber reads, worked out once: doors ask on every request.
    public let detail: EventDetail
}
