public import Registry
import Synchronization

/// Keeps every event the registry publishes, so tests can say exactly which were emitted
/// and how often.
public final class RecordingEventSink: ContentEventSink {
    private let recorded = Mutex<[ContentEvent]>([])

    public init() {}

    public func receive(_ event: ContentEvent) async {
        recorded.withLock { $0.append(event) }
    }

    /// Everything received so far, in order.
    public var events: [ContentEvent] { recorded.withLock { $0 } }

    /// Forgets what was received (between the steps of a test).
    public func reset() { recorded.withLock { $0.removeAll() } }
}
