import Hummingbird
import NIOCore
import Synchronization

/// Passes a response body on to the connection's writer while counting the bytes that go
/// through it, so a transfer cut short is logged with what was sent, not its full length.
/// Bytes sent around the writer (a file by `sendfile`, or encrypted by the TLS file
/// handler) are not seen here: whoever reads the tally knows only that they did not end.
struct CountingBodyWriter: ResponseBodyWriter {
    /// Shared with whoever wrapped the writer: the writer itself is consumed by `finish`.
    final class Tally: Sendable {
        private let bytes = Atomic<Int>(0)
        var count: Int { bytes.load(ordering: .relaxed) }
        func add(_ count: Int) { bytes.add(count, ordering: .relaxed) }
    }

    var base: any ResponseBodyWriter
    let tally: Tally

    mutating func write(_ buffer: ByteBuffer) async throws {
        let count = buffer.readableBytes
        try await base.write(buffer)
        tally.add(count)
    }

    mutating func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
        // The connection's writer sends a sequence in one batch: kept.
        let parts = Array(buffers)
        try await base.write(contentsOf: parts)
        tally.add(parts.reduce(0) { $0 + $1.readableBytes })
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await base.finish(trailingHeaders)
    }
}
