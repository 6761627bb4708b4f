import NIOCore
import NIOEmbedded
import Testing
@testable import Server

/// What the sniffer does to a connection that is no validation: nothing but wait for its
/// ClientHello, then pass every byte on unchanged and leave.
@Suite struct ClientHelloSnifferTests {
    /// Collects what reaches the handler after the sniffer.
    final class Recorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var received = [UInt8]()
        var completions = 0

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += Array(unwrapInboundIn(data).readableBytesView)
        }

        func channelReadComplete(context: ChannelHandlerContext) { completions += 1 }
    }

    @Test func aClientHelloSplitAcrossReadsIsPassedOnWholeAndUnchangedOnceComplete() throws {
        let hello = ClientHelloTests.record(serverName: "registry.example.com", protocols: ["h2", "http/1.1"])
        var seen = [ClientHello]()
        let sniffer = ClientHelloSniffer { hello in
            seen.append(hello)
            return nil
        }
        let recorder = Recorder()
        let channel = EmbeddedChannel(handlers: [sniffer, recorder])
        try channel.writeInbound(ByteBuffer(bytes: hello.prefix(3)))
        try channel.writeInbound(ByteBuffer(bytes: hello.dropFirst(3).prefix(20)))
        #expect(recorder.received.isEmpty, "nothing passes before the ClientHello is whole")
        try channel.writeInbound(ByteBuffer(bytes: hello.dropFirst(23)))
        #expect(recorder.received == hello)
        #expect(seen == [ClientHello(serverName: "registry.example.com", protocols: ["h2", "http/1.1"])])
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.handler(type: ClientHelloSniffer.self) }
        try channel.writeInbound(ByteBuffer(bytes: [1, 2, 3]))
        #expect(recorder.received == hello + [1, 2, 3])
        _ = try channel.finish()
    }

    @Test func bytesThatAreNoTLSArePassedOnAtOnce() throws {
        let request = Array("GET /v2/ HTTP/1.1\r\n\r\n".utf8)
        let recorder = Recorder()
        let channel = EmbeddedChannel(handlers: [ClientHelloSniffer { _ in nil }, recorder])
        try channel.writeInbound(ByteBuffer(bytes: request))
        #expect(recorder.received == request && recorder.completions >= 1)
        _ = try channel.finish()
    }
}
