import NIOCore
import NIOEmbedded
import Testing
@testable import S3

@Suite struct StalledReadHandlerTests {
    func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(StalledReadHandler(timeout: .seconds(60)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9000)).wait()
        return channel
    }

    @Test func aStoreSilentWhileAReadIsWantedIsCut() throws {
        let channel = try channel()
        channel.read()
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
        #expect(throws: StalledReadHandler.Stalled.self) { try channel.throwIfErrorCaught() }
    }

    @Test func bytesArrivingDisarmTheTimer() throws {
        let channel = try channel()
        channel.read()
        channel.embeddedEventLoop.advanceTime(by: .seconds(50))
        try channel.writeInbound(ByteBuffer(string: "piece"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(50))
        #expect(channel.isActive)
        // The next read is timed afresh.
        channel.read()
        channel.embeddedEventLoop.advanceTime(by: .seconds(61))
        #expect(!channel.isActive)
    }

    @Test func aReaderThatPausesIsNeverCut() throws {
        let channel = try channel()
        channel.read()
        try channel.writeInbound(ByteBuffer(string: "piece"))
        // Backpressure: nobody asks for the next read for ten minutes.
        channel.embeddedEventLoop.advanceTime(by: .minutes(10))
        #expect(channel.isActive)
        _ = try channel.finish()
    }
}
