import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Registry
import Storage
import Synchronization
import Testing
import TestSupport
@testable import RegistryAPI

/// A streamed blob body that the store cuts short after the response's head went out can
/// only be cut short for the client too: the log says why, for which blob, how far.
@Suite struct BlobSenderTests {
    /// What a sender logged and what its writer took.
    final class Kept: Sendable {
        let log = RecordingLogHandler()
        let bytes = Atomic<Int>(0)
    }

    /// A response's writer; with `failing`, every write fails as one to a closed connection.
    struct Taker: ResponseBodyWriter {
        let kept: Kept
        let failing: Bool

        mutating func write(_ buffer: ByteBuffer) async throws {
            if failing { throw ChannelError.ioOnClosedChannel }
            kept.bytes.add(buffer.readableBytes, ordering: .relaxed)
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    struct StoreDied: Error, CustomStringConvertible {
        var description: String { "storage unavailable at k: GET body: connection reset by peer" }
    }

    func sender(_ kept: Kept) -> BlobSender {
        BlobSender(
            directBodies: false,
            logger: Logger(label: "test") { _ in kept.log },
            storageErrors: RegistryMetrics().storageErrors
        )
    }

    /// 3 bytes, then the store fails.
    let cutStream = BlobStream { body in
        try await body(ByteBuffer(string: "abc"))
        throw StoreDied()
    }

    @Test func aStoreFailureMidBodyIsLoggedWithTheBlobAndTheBytesSent() async throws {
        let kept = Kept()
        let body = try #require(sender(kept).responseBody(.stream(cutStream), on: EmbeddedChannel(), repository: "lib/app", digest: "sha256:abc"))
        await #expect(throws: StoreDied.self) { try await body.write(Taker(kept: kept, failing: false)) }
        #expect(kept.bytes.load(ordering: .relaxed) == 3)
        let lines = kept.log.lines
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.level == .error)
        #expect(line.message.contains("cut short"))
        #expect(line.metadata["repository"] == "lib/app")
        #expect(line.metadata["digest"] == "sha256:abc")
        #expect(line.metadata["bytes_sent"] == "3")
        #expect(line.metadata["reason"]?.contains("connection reset by peer") == true)
    }

    /// A mirror's upstream breaking off is not the store failing: a warning naming the
    /// upstream, and no error line (nothing counted with the storage errors).
    @Test func anUpstreamFailureMidBodyIsAWarningNamingTheUpstream() async throws {
        let kept = Kept()
        let relayed = BlobStream(source: .upstream("upstream.example")) { body in
            try await body(ByteBuffer(string: "abc"))
            throw StoreDied()
        }
        let body = try #require(sender(kept).responseBody(.stream(relayed), on: EmbeddedChannel(), repository: "hub/app", digest: "sha256:abc"))
        await #expect(throws: StoreDied.self) { try await body.write(Taker(kept: kept, failing: false)) }
        let lines = kept.log.lines
        #expect(lines.count == 1)
        #expect(lines.first?.level == .warning)
        #expect(lines.first?.metadata["upstream"] == "upstream.example")
        #expect(lines.first?.metadata["bytes_sent"] == "3")
    }

    /// A client that goes away is not the registry failing: nothing is logged.
    @Test func aClientThatGoesAwayMidBodyIsNotLogged() async throws {
        let kept = Kept()
        let whole = BlobStream { body in try await body(ByteBuffer(string: "abc")) }
        let body = try #require(sender(kept).responseBody(.stream(whole), on: EmbeddedChannel(), repository: "lib/app", digest: "sha256:abc"))
        await #expect(throws: ChannelError.self) { try await body.write(Taker(kept: kept, failing: true)) }
        #expect(kept.log.lines.isEmpty)
    }
}
