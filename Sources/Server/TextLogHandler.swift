public import Logging

/// swift-log's text lines (`log.formatter: text`, the default), with metadata kept as set
/// and formatted only when a line is written.
///
/// `StreamLogHandler` formats its whole metadata every time a key is set, and the HTTP
/// server sets a request id on every request's logger: a manifest HEAD paid 3% of its cost
/// to format a line it never wrote. Lines come out exactly as `StreamLogHandler` writes them.
public struct TextLogHandler: LogHandler {
    /// Writes the lines; it holds no metadata of its own, so it never formats any ahead.
    private var stream: StreamLogHandler
    /// The logger's metadata, as set: formatted only into lines that are written.
    public var metadata: Logger.Metadata = [:]
    /// Values every line adds (`LoggingSystem`'s provider), below the logger's own.
    public var metadataProvider: Logger.MetadataProvider?

    /// The threshold, kept by the writing handler, which checks it too.
    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    /// A handler writing to standard error, or to `stream` (for tests).
    public init(
        label: String,
        stream: (any TextOutputStream & Sendable)? = nil,
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) {
        self.stream = stream.map { StreamLogHandler(label: label, stream: $0, metadataProvider: nil) }
            ?? StreamLogHandler.standardError(label: label, metadataProvider: nil)
        self.metadataProvider = metadataProvider
    }

    /// One key of ``metadata``; setting it is a dictionary update, nothing more.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line, with the metadata merged as `StreamLogHandler` would merge it.
    public func log(event: LogEvent) {
        var event = event
        // The order `StreamLogHandler` merges in: the logger's, the provider's, the line's.
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { $1 }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            merged.merge(explicit) { $1 }
        }
        event.metadata = merged.isEmpty ? nil : merged
        stream.log(event: event)
    }
}
