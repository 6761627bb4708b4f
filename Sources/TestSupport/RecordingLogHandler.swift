public import Logging
import Synchronization

/// Keeps what is logged through it, for a test that must see a failure no client sees: a
/// store breaking off mid-body, a feed that could not catch up. Copies share what they keep,
/// so a test holds one and gives another to its `Logger`.
public struct RecordingLogHandler: LogHandler {
    /// One logged event, its metadata as text (what a log line would show).
    public struct Line: Sendable, Equatable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]
    }

    private final class Kept: Sendable {
        let lines = Mutex<[Line]>([])
    }

    private let kept = Kept()
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let line = Line(
            level: event.level, message: event.message.description,
            metadata: self.metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
        )
        kept.lines.withLock { $0.append(line) }
    }

    /// Every line logged so far, in order.
    public var lines: [Line] { kept.lines.withLock { $0 } }

    /// Whether any message so far contains `text`.
    public func contains(_ text: String) -> Bool {
        kept.lines.withLock { $0.contains { $0.message.contains(text) } }
    }
}
