import Metrics
import NIOCore

/// An upstream's response body on its way into the cache, each chunk also offered to the
/// client that asked for it and counted as bytes from the upstream.
///
/// Chunks pass as the HTTP client hands them over (~46 KiB): gathering them into larger
/// pieces was measured slower (a fresh buffer per piece to fault in, and a copy the store's
/// own 1 MiB batching then does again): 356–427 against 548 MB/s for a cold 1 GiB pull.
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
