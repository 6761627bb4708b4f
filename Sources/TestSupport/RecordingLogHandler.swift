public import Logging
import Synchronization

/// Keeps what is logged through it, for a test that must see a failure no client sees: a
/// store breaking off mid-body, a feed that could not catch up. Copies share what they keep,
/// so a test holds one and gives another to its `Logger`.
public struct RecordingLogHandler: LogHandler {
    /// One logged event, its metadata as text (what a log line would show).
    public struct Line: Sendable, Equatable {
        /// The level it was logged at, for a test that a failure is a warning, not debug.
        public var level: Logger.Level
        /// The message alone, which tests look for words in.
        public var message: String
        /// The handler's and the event's metadata, each value as a log line prints it.
        public var metadata: [String: String]
    }

    private final class Kept: Sendable {
        let lines = Mutex<[Line]>([])
    }

    private let kept = Kept()
    /// Metadata the `Logger` attached, kept with every line.
    public var metadata: Logger.Metadata = [:]
    /// Everything by default: a test decides what it looks at, not the handler.
    public var logLevel: Logger.Level = .trace

    /// A recorder that has kept nothing yet.
    public init() {}

    /// The `Logger`'s metadata, as `LogHandler` requires.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Keeps the event as a ``Line``.
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
