import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Testing
@testable import Server

/// The receive windows Pier gives HTTP/2 uploads: granted to bodies only, replenished as the
/// body is read, never past its declared length, and never for what an abandoned stream
/// was granted and not sent.
@Suite struct HTTP2StreamWindowHandlerTests {
    static let target = 4 << 20
    static let connectionTarget = 16 << 20

    /// A connection's window handler in a channel of its own.
    func connection() -> (HTTP2ConnectionWindowHandler, EmbeddedChannel) {
        let handler = HTTP2ConnectionWindowHandler(target: Self.connectionTarget)
        return (handler, EmbeddedChannel(handler: handler))
    }

    /// Fails window updates as NIO does for a stream whose end it has received: the write's
    /// promise, then the same error to the stream's pipeline.
    final class RefusingWindowUpdates: ChannelOutboundHandler {
        typealias OutboundIn = HTTP2Frame.FramePayload
        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            guard case .windowUpdate = unwrapOutboundIn(data) else {
                context.write(data, promise: promise)
                return
            }
            let error = NIOHTTP2Errors.streamError(streamID: 1, baseError: NIOHTTP2Errors.badStreamStateTransition())
            promise?.fail(error)
            context.fireErrorCaught(error)
        }
    }

    func headers(endStream: Bool, length: Int? = nil) -> HTTP2Frame.FramePayload {
        var fields: HPACKHeaders = [":method": endStream ? "GET" : "PUT", ":path": "/v2/a/blobs/uploads/x", ":scheme": "https"]
        if let length { fields.add(name: "content-length", value: String(length)) }
        return .headers(.init(headers: fields, endStream: endStream))
    }

    func data(_ count: Int, endStream: Bool = false) -> HTTP2Frame.FramePayload {
        .data(.init(data: .byteBuffer(ByteBuffer(repeating: 0, count: count)), endStream: endStream))
    }

    /// The increments of the window updates written since the last call.
    func updates(_ channel: EmbeddedChannel) throws -> [Int] {
        var found: [Int] = []
        while let payload = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) {
            if case .windowUpdate(let increment) = payload { found.append(increment) }
        }
        return found
    }

    /// The increments of the connection's window updates written since the last call.
    func rootUpdates(_ connection: EmbeddedChannel) throws -> [Int] {
        var found: [Int] = []
        while let frame = try connection.readOutbound(as: HTTP2Frame.self) {
            #expect(frame.streamID == .rootStream)
            if case .windowUpdate(let increment) = frame.payload { found.append(increment) }
        }
        return found
    }

    func stream(connection: HTTP2ConnectionWindowHandler? = nil) -> EmbeddedChannel {
        EmbeddedChannel(handler: HTTP2StreamWindowHandler(target: Self.target, connection: connection))
    }

    @Test func aRequestWithoutABodyGetsNoWindowUpdate() throws {
        let channel = stream()
        try channel.writeInbound(headers(endStream: true))
        #expect(try updates(channel).isEmpty)
        _ = try channel.finish()
    }

    @Test func aBodyIsGrantedTheTargetWindowAtOnce() throws {
        let channel = stream()
        try channel.writeInbound(headers(endStream: false, length: 100 << 20))
        #expect(try updates(channel) == [Self.target - 65_535])
        _ = try channel.finish()
    }

    @Test func theWindowIsReplenishedOnlyAsTheBodyIsRead() throws {
        let channel = stream()
        try channel.writeInbound(headers(endStream: false, length: 100 << 20))
        _ = try updates(channel)
        for _ in 0..<(Self.target / 2 / 16_384 - 1) {
            try channel.writeInbound(data(16_384))
        }
        #expect(try updates(channel).isEmpty)
        try channel.writeInbound(data(16_384))
        #expect(try updates(channel) == [Self.target / 2])
        _ = try channel.finish()
    }

    @Test func nothingIsGrantedPastTheDeclaredLength() throws {
        let channel = stream()
        let length = 3 << 20
        try channel.writeInbound(headers(endStream: false, length: length))
        #expect(try updates(channel) == [length - 65_535])
        for _ in 0..<(length / 16_384 - 1) {
            try channel.writeInbound(data(16_384))
        }
        try channel.writeInbound(data(16_384, endStream: true))
        #expect(try updates(channel).isEmpty)
        _ = try channel.finish()
    }

    @Test func aRefusedUpdateEndsTheUpdatesWithoutFailingTheRequest() throws {
        let (handler, connection) = connection()
        let channel = stream(connection: handler)
        try channel.pipeline.syncOperations.addHandler(RefusingWindowUpdates(), position: .first)
        try channel.writeInbound(headers(endStream: false))
        try channel.throwIfErrorCaught()
        for _ in 0..<(Self.target / 16_384) {
            try channel.writeInbound(data(16_384))
        }
        try channel.throwIfErrorCaught()
        // Any other error still reaches the request.
        channel.pipeline.fireErrorCaught(ChannelError.ioOnClosedChannel)
        #expect(throws: ChannelError.self) { try channel.throwIfErrorCaught() }
        _ = try channel.finish()
        _ = try connection.finish()
    }

    @Test func theConnectionIsGrantedItsWindowAndReplenishedByWhatStreamsConsume() throws {
        let target = Self.connectionTarget
        let (handler, connection) = connection()
        #expect(try rootUpdates(connection) == [target - 65_535])

        let stream = stream(connection: handler)
        try stream.writeInbound(headers(endStream: false))
        for _ in 0..<(target / 2 / 16_384 - 1) {
            try stream.writeInbound(data(16_384))
        }
        #expect(try rootUpdates(connection).isEmpty)
        try stream.writeInbound(data(16_384))
        #expect(try rootUpdates(connection) == [target / 2])
        _ = try stream.finish()
        _ = try connection.finish()
    }

    @Test func anAbandonedStreamGivesBackWhatItReadAndNotWhatItWasNeverSent() throws {
        let (handler, connection) = connection()
        _ = try rootUpdates(connection)
        for _ in 0..<8 {
            let stream = stream(connection: handler)
            try stream.writeInbound(headers(endStream: false, length: 100 << 20))
            try stream.writeInbound(data(1 << 20))
            _ = try stream.finish()  // closed with 3 MiB of its 4 MiB window unused
        }
        // 8 MiB read, half the target: replenished by that, and not by the 24 MiB unused.
        #expect(try rootUpdates(connection) == [8 << 20])
        _ = try connection.finish()
    }

    @Test func uploadsResetBeforeSendingAByteGiveTheConnectionNothing() throws {
        let (handler, connection) = connection()
        _ = try rootUpdates(connection)
        for _ in 0..<6 {
            let stream = stream(connection: handler)
            try stream.writeInbound(headers(endStream: false, length: 8 << 20))
            _ = try stream.finish()
        }
        #expect(try rootUpdates(connection).isEmpty)
        _ = try connection.finish()
    }
}

extension HTTP2StreamWindowHandlerTests {
    @Test func theConnectionDropsNIOsReportOfARefusedUpdateAndNothingElse() throws {
        let (handler, connection) = connection()
        let stream = stream(connection: handler)
        try stream.pipeline.syncOperations.addHandler(RefusingWindowUpdates(), position: .first)
        try stream.writeInbound(headers(endStream: false))
        connection.pipeline.fireErrorCaught(NIOHTTP2Errors.badStreamStateTransition())
        try connection.throwIfErrorCaught()
        // A second report was not caused by a refused update of ours.
        connection.pipeline.fireErrorCaught(NIOHTTP2Errors.badStreamStateTransition())
        #expect(throws: NIOHTTP2Errors.BadStreamStateTransition.self) { try connection.throwIfErrorCaught() }
        _ = try stream.finish()
        _ = try connection.finish()
    }

    @Test func withoutALengthOrAConnectionHandlerNothingIsGranted() throws {
        let channel = stream(connection: nil)
        try channel.writeInbound(headers(endStream: false))
        #expect(try updates(channel).isEmpty)
        _ = try channel.finish()
    }
}
