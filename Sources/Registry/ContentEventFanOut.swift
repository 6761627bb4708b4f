/// Hands every event to several subscribers in turn (notifications, the index, webhooks),
/// so the registry keeps one sink however many listen.
public struct ContentEventFanOut: ContentEventSink {
    public let subscribers: [any ContentEventSink]

    public init(_ subscribers: [any ContentEventSink]) {
        self.subscribers = subscribers.filter(\.isListening)
    }

    public func receive(_ event: ContentEvent) async {
        for subscriber in subscribers { await subscriber.receive(event) }
    }

    public var isListening: Bool { !subscribers.isEmpty }
}
