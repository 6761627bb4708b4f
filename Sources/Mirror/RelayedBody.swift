import Metrics
import NIOCore

/// An upstream's response body on its way into the cache, each chunk also offered to the
/// client that asked for it and counted as bytes from the upstream.
///
/// The client gets each chunk once the next has arrived, and the last one only when the
/// cache has checked the whole against its digest (``ChunkRelay/hold(_:)``): damaged bytes
/// never reach a client as a complete answer, which it (or a cache in front) would keep.
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
        /// The latest chunk, offered to the client when the next arrives.
        var latest: ByteBuffer?

        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await base.next() else {
                // The last chunk waits for the digest's verdict (`ChunkRelay.finish`).
                if let latest { relay?.hold(latest) }
                latest = nil
                return nil
            }
            counter.increment(by: chunk.readableBytes)
            if let latest { await relay?.send(latest) }
            latest = chunk
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), relay: relay, counter: counter, latest: nil)
    }
}
