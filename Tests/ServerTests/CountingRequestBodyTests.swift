#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import NIOCore
import NIOHTTP1
import Testing
@testable import Server

/// Bytes in are what a body delivered, and a body that ended short is told apart from one
/// that was malformed: only the first took its client's connection with it.
@Suite struct CountingRequestBodyTests {
    func drain(_ body: CountingRequestBody) async throws {
        for try await _ in body {}
    }

    @Test func aWholeBodyCountsItsBytesAndIsNotCut() async throws {
        let tally = CountingRequestBody.Tally()
        try await drain(CountingRequestBody(base: RequestBody(buffer: ByteBuffer(string: "0123456789")), tally: tally, declared: 10))
        #expect(tally.count == 10 && !tally.wasCut)
    }

    @Test func aBodyEndingBeforeItsContentLengthIsCut() async throws {
        let tally = CountingRequestBody.Tally()
        try await drain(CountingRequestBody(base: RequestBody(buffer: ByteBuffer(string: "0123456789")), tally: tally, declared: 10_000_000))
        #expect(tally.count == 10 && tally.wasCut)
    }

    @Test func aChunkedBodyIsCountedWithoutAContentLength() async throws {
        let tally = CountingRequestBody.Tally()
        try await drain(CountingRequestBody(base: RequestBody(buffer: ByteBuffer(string: "abc")), tally: tally, declared: nil))
        #expect(tally.count == 3 && !tally.wasCut)
    }

    @Test func onlyAConnectionEndingMeansTheClientLeft() {
        #expect(CountingRequestBody.meansTheClientLeft(ChannelError.eof))
        #expect(CountingRequestBody.meansTheClientLeft(ChannelError.ioOnClosedChannel))
        #expect(CountingRequestBody.meansTheClientLeft(IOError(errnoCode: ECONNRESET, reason: "read")))
        #expect(CountingRequestBody.meansTheClientLeft(HTTPParserError.invalidEOFState))
        // A malformed body is the client's error, answered 400 on a live connection.
        #expect(!CountingRequestBody.meansTheClientLeft(HTTPParserError.invalidChunkSize))
        #expect(!CountingRequestBody.meansTheClientLeft(CancellationError()))
    }
}
