import Logging
import Synchronization
import Testing
@testable import Server

/// Lines collected in memory.
final class CollectedLines: TextOutputStream, Sendable {
    private let text = Mutex("")
    func write(_ string: String) { text.withLock { $0 += string } }
    var lines: [Substring] { text.withLock { $0 }.split(separator: "\n") }
}

/// Pier's text handler keeps metadata unformatted until a line is written, and writes every
/// line exactly as swift-log's `StreamLogHandler` would.
@Suite struct TextLogHandlerTests {
    struct Refusal: Error {}

    /// Writes the same lines through `handler` as a logger would, with metadata set key by
    /// key (as the HTTP server sets a request id), from the provider and on the line.
    func write(into handler: some LogHandler) {
        var logger = Logger(label: "pier") { _ in handler }
        logger.logLevel = .debug
        logger[metadataKey: "hb.request.id"] = "7f"
        logger[metadataKey: "b"] = "base"
        logger.info("plain")
        logger.warning("with metadata", metadata: ["b": "line", "z": ["1", "2"]])
        logger.error("with an error", error: Refusal())
        logger.debug("shown at debug")
        logger.trace("not shown")
    }

    @Test func linesMatchSwiftLogsStreamHandler() {
        let provider = Logger.MetadataProvider { ["provided": "p", "b": "provider"] }
        let ours = CollectedLines()
        let theirs = CollectedLines()
        write(into: TextLogHandler(label: "pier", stream: ours, metadataProvider: provider))
        write(into: StreamLogHandler(label: "pier", stream: theirs, metadataProvider: provider))
        // Each line starts with its local time to the second; the rest must be identical.
        func withoutTime(_ line: Substring) -> Substring { line.drop { $0 != " " } }
        #expect(ours.lines.count == 4)
        #expect(ours.lines.map(withoutTime) == theirs.lines.map(withoutTime))
        #expect(ours.lines.first.map(withoutTime) == " info pier: b=provider hb.request.id=7f provided=p [ServerTests] plain")
    }

    @Test func anEmptyLoggerWritesNoMetadata() {
        let ours = CollectedLines()
        let logger = Logger(label: "pier") { _ in TextLogHandler(label: "pier", stream: ours, metadataProvider: nil) }
        logger.notice("hello")
        #expect(ours.lines.count == 1)
        #expect(ours.lines.first?.hasSuffix(" notice pier: [ServerTests] hello") == true)
    }
}
