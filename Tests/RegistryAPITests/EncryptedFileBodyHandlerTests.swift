import Foundation
import NIOCore
import NIOEmbedded
import Testing
@testable import RegistryAPI

@Suite struct EncryptedFileBodyHandlerTests {
    /// A file of `size` bytes that differ from chunk to chunk, removed by the caller.
    private func file(size: Int) throws -> (String, [UInt8]) {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 4096) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pier-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, bytes)
    }

    /// Everything the handler wrote toward the socket, in order.
    private func written(_ channel: EmbeddedChannel) throws -> [UInt8] {
        var out: [UInt8] = []
        while let data = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = data else {
                Issue.record("a file region reached the TLS end of the pipeline")
                continue
            }
            out += buffer.readableBytesView
        }
        return out
    }

    @Test func sendsTheRequestedRangeInChunksAndCompletesAfterTheLastWrite() throws {
        let size = 3 * EncryptedFileBodyHandler.chunkSize + 1234
        let (path, bytes) = try file(size: size)
        defer { try? FileManager.default.removeItem(atPath: path) }
        for (start, end) in [(0, size), (1, 131_073), (size - 10, size)] {
            let channel = EmbeddedChannel(handler: EncryptedFileBodyHandler())
            let done = channel.eventLoop.makePromise(of: Void.self)
            let request = EncryptedFileBodyHandler.Request(path: path, start: Int64(start), end: Int64(end))
            channel.pipeline.triggerUserOutboundEvent(request, promise: done)
            channel.embeddedEventLoop.run()
            try done.futureResult.wait()
            #expect(try written(channel) == Array(bytes[start..<end]), "range \(start)..<\(end)")
            _ = try channel.finish()
        }
    }

    @Test func aFileShorterThanTheRangeFailsTheRequestAndClosesTheConnection() throws {
        let (path, _) = try file(size: 1000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let channel = EmbeddedChannel(handler: EncryptedFileBodyHandler())
        let done = channel.eventLoop.makePromise(of: Void.self)
        channel.pipeline.triggerUserOutboundEvent(
            EncryptedFileBodyHandler.Request(path: path, start: 0, end: 5000), promise: done)
        channel.embeddedEventLoop.run()
        #expect(throws: BlobSender.Failure.self) { try done.futureResult.wait() }
        #expect(!channel.isActive)
    }

    @Test func aMissingFileFailsTheRequestBeforeAnyByteIsWritten() throws {
        let channel = EmbeddedChannel(handler: EncryptedFileBodyHandler())
        let done = channel.eventLoop.makePromise(of: Void.self)
        channel.pipeline.triggerUserOutboundEvent(
            EncryptedFileBodyHandler.Request(path: "/nonexistent/pier-blob", start: 0, end: 10), promise: done)
        #expect(throws: BlobSender.Failure.self) { try done.futureResult.wait() }
        #expect(try written(channel).isEmpty)
        _ = try channel.finish()
    }

    @Test func otherEventsPassThrough() throws {
        struct Other: Sendable {}
        let channel = EmbeddedChannel(handler: EncryptedFileBodyHandler())
        let done = channel.eventLoop.makePromise(of: Void.self)
        channel.pipeline.triggerUserOutboundEvent(Other(), promise: done)
        // It reached the head: EmbeddedChannel's head refuses user events it does not know.
        #expect(throws: ChannelError.operationUnsupported) { try done.futureResult.wait() }
        _ = try channel.finish()
    }
}
