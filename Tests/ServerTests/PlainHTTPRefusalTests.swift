import NIOCore
import NIOEmbedded
import Testing
@testable import Server

/// A TLS listener's first handler: a plain HTTP request is told it reached an HTTPS
/// server, and everything else goes on to TLS untouched.
@Suite struct PlainHTTPRefusalTests {
    @Test func aPlainRequestIsAnsweredWithDistributionsBadRequestAndClosed() throws {
        let recorder = ClientHelloSnifferTests.Recorder()
        let channel = EmbeddedChannel(handlers: [PlainHTTPRefusal(), recorder])
        try channel.writeInbound(ByteBuffer(string: "GET /v2/ HTTP/1.1\r\nHost: registry\r\n\r\n"))
        try channel.writeInbound(ByteBuffer(string: "more of the request"))
        #expect(recorder.received.isEmpty, "the TLS handler sees none of it")
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        let text = String(buffer: written)
        #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        let body = try #require(text.split(separator: "\r\n\r\n", omittingEmptySubsequences: false).last)
        #expect(body == "Client sent an HTTP request to an HTTPS server.\n")
        #expect(text.contains("Content-Length: \(body.utf8.count)\r\n"))
        #expect(!channel.isActive)
    }

    @Test func aTLSRecordGoesOnUnchangedAndTheHandlerLeaves() throws {
        let hello = ClientHelloTests.record(serverName: "registry.example.com", protocols: ["h2"])
        let recorder = ClientHelloSnifferTests.Recorder()
        let channel = EmbeddedChannel(handlers: [PlainHTTPRefusal(), recorder])
        try channel.writeInbound(ByteBuffer(bytes: hello))
        #expect(recorder.received == hello && recorder.completions == 1)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.handler(type: PlainHTTPRefusal.self) }
        _ = try channel.finish()
    }

    @Test func noTLSContentTypeBeginsLikeARequest() {
        for byte in UInt8(0x14)...0x18 { #expect(!PlainHTTPRefusal.beginsRequest(byte)) }
        #expect(!PlainHTTPRefusal.beginsRequest(0x80))
        for method in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "PRI"] {
            #expect(PlainHTTPRefusal.beginsRequest(method.utf8.first ?? 0))
        }
    }
}
