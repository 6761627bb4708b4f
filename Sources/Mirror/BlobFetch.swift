import Synchronization

/// What the client that caused an upstream blob transfer needs of it before it ends: the
/// blob's size as soon as the upstream answers (for `Content-Length`), and the chunks as
/// they arrive.
final class BlobFetch: Sendable {
    /// The chunks for the client that started the transfer (a ranged one takes its range
    /// of them); nil for a transfer only filling the cache (``Mirror/blobBytes``).
    let relay: ChunkRelay?
    private let answer = Mutex<(result: Result<Int64?, any Error>?, waiting: [CheckedContinuation<Int64?, any Error>])>((nil, []))

    init(relaying: Bool) {
        relay = relaying ? ChunkRelay() : nil
    }

    /// Records the upstream's answer: the size it will relay, nil when nothing is relayed
    /// (the client reads the cache once the transfer ends), or why it will send nothing.
    func answered(_ result: Result<Int64?, any Error>) {
        let waiting = answer.withLock { answer -> [CheckedContinuation<Int64?, any Error>] in
            guard answer.result == nil else { return [] }
            answer.result = result
            defer { answer.waiting = [] }
            return answer.waiting
        }
        for continuation in waiting { continuation.resume(with: result) }
    }

    /// The size the upstream announced, once it has answered; nil: read the cache.
    func size() async throws -> Int64? {
        try await withCheckedThrowingContinuation { continuation in
            let result = answer.withLock { answer -> Result<Int64?, any Error>? in
                if answer.result == nil { answer.waiting.append(continuation) }
                return answer.result
            }
            if let result { continuation.resume(with: result) }
        }
    }
}

/// Cuts the client loose from its relay when its response goes away, whether or not the
/// body was ever sent (a client that left before the upstream answered never reads).
final class RelayLease: Sendable {
    let relay: ChunkRelay

    init(_ relay: ChunkRelay) {
        self.relay = relay
    }

    deinit {
        relay.abandon()
    }
}
