import Metrics
import NIOCore

/// An upstream's response body on its way into the cache, each chunk also offered to the
/// client that asked for it and counted as bytes from the upstream.
struct RelayedBody<Base: AsyncSequence>: AsyncSequence where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

    let base: Base
    let relay: ChunkRelay?
    let counter: Counter

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let relay: ChunkRelay?
        let counter: Counter

        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await base.next() else { return nil }
            counter.increment(by: chunk.readableBytes)
            await relay?.send(chunk)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), relay: relay, counter: counter)
    }
}
