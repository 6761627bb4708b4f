import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTP2
import Synchronization

/// A request body that counts the bytes read from it, so the metrics' bytes in are what
/// arrived, not what a client's `Content-Length` claimed: a header of 9·10¹⁸ on a request
/// refused unread wrapped the counter negative, a cut upload counted its full length, and
/// a chunked upload counted nothing. It also notices a body that ended before it was whole
/// (the connection gone), which no answer reaches.
struct CountingRequestBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    /// What the body delivered, read once the response is settled.
    final class Tally: Sendable {
        private let bytes = Atomic<Int>(0)
        private let cut = Atomic<Bool>(false)
        /// The bytes the handler read.
        var count: Int { bytes.load(ordering: .relaxed) }
        /// The body failed or ended short of its `Content-Length`: the client is gone.
        var wasCut: Bool { cut.load(ordering: .relaxed) }
        func add(_ count: Int) { bytes.add(count, ordering: .relaxed) }
        func markCut() { cut.store(true, ordering: .relaxed) }
    }

    let base: RequestBody
    let tally: Tally
    /// The `Content-Length` the request declared, if any.
    let declared: Int?

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let tally: Tally
        let declared: Int?

        mutating func next() async throws -> ByteBuffer? {
            let chunk: ByteBuffer?
            do {
                chunk = try await base.next()
            } catch {
                if CountingRequestBody.meansTheClientLeft(error) { tally.markCut() }
                throw error
            }
            guard let chunk else {
                if let declared, tally.count < declared { tally.markCut() }
                return nil
            }
            tally.add(chunk.readableBytes)
            return chunk
        }
    }

    /// Whether a body's failure is its connection ending (the client closed it, reset it,
    /// or its HTTP/2 stream was closed), after which no answer reaches the client. A body
    /// that is malformed (a bad chunk size) is the client's error, and its 400 is sent.
    static func meansTheClientLeft(_ error: any Error) -> Bool {
        if error is ChannelError || error is IOError || error is NIOHTTP2Errors.StreamClosed { return true }
        if let parser = error as? HTTPParserError { return parser == .invalidEOFState }
        return false
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), tally: tally, declared: declared)
    }
}
