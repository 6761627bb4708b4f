import NIOCore
import Synchronization

/// Hands the chunks of one upstream transfer to the client that started it while the
/// transfer writes them to the cache: the producer waits when the client is more than
/// `limit` bytes behind (so a slow client costs at most that much memory), but only for
/// `pacing` in all. A client slower than that is detached: it reads what is buffered, then
/// ``Detached``, and takes the rest from the cache once the blob is stored. So a client on
/// a slow link never paces the transfer every other client of the blob waits for, and the
/// upstream is read at its own rate.
final class ChunkRelay: Sendable {
    private struct State {
        var chunks: [ByteBuffer] = []
        var head = 0
        var buffered = 0
        var finished = false
        var failure: (any Error)?
        var abandoned = false
        var consumer: CheckedContinuation<ByteBuffer?, any Error>?
        var producer: CheckedContinuation<Void, Never>?
        /// How long the producer has waited for the client so far, when it began its current
        /// wait, and whether a watchdog checks that against `pacing`.
        var waited = Duration.zero
        var waitStart: ContinuousClock.Instant?
        var watched = false
        /// The client gets no more chunks: it drains the buffer, then reads the cache.
        var detached = false
        /// The transfer's last chunk, given to the client only if the transfer ends well.
        var held: ByteBuffer?
    }

    /// Why a client's read fails after it was cut loose.
    struct Abandoned: Error {}

    /// What a detached client reads once it has taken every buffered chunk: the rest of
    /// the blob is in the cache once the transfer ends (or nowhere, if it fails).
    struct Detached: Error {}

    private let state = Mutex(State())
    private let limit: Int
    /// How long, in all, the transfer waits for its client: long enough to ride out a fast
    /// client's pauses, short against what a blob takes over a slow link. A client that
    /// stopped reading must not hold back, or time out, the transfer others wait for.
    private let pacing: Duration

    init(limit: Int = 8 * 1024 * 1024, pacing: Duration = .seconds(2)) {
        self.limit = limit
        self.pacing = pacing
    }

    /// Offers a chunk to the client; returns once the client is within `limit` bytes.
    func send(_ chunk: ByteBuffer) async {
        let waiting: CheckedContinuation<ByteBuffer?, any Error>? = state.withLock { state in
            guard !state.abandoned, !state.detached else { return nil }
            if let consumer = state.consumer {
                state.consumer = nil
                return consumer
            }
            state.chunks.append(chunk)
            state.buffered += chunk.readableBytes
            return nil
        }
        if let waiting {
            waiting.resume(returning: chunk)
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (proceed, watch) = state.withLock { state -> (Bool, Bool) in
                guard !state.abandoned, !state.detached, state.buffered > limit else { return (true, false) }
                state.producer = continuation
                state.waitStart = .now
                defer { state.watched = true }
                return (false, !state.watched)
            }
            if proceed { continuation.resume() }
            if watch { startWatchdog() }
        }
    }

    /// Detaches the client once the transfer has waited for it `pacing` in all; ends with
    /// the transfer.
    private func startWatchdog() {
        Task { [weak self, pacing] in
            while let relay = self {
                let (done, spent) = relay.state.withLock { state in
                    (state.finished || state.abandoned || state.detached, state.waited + (state.waitStart.map { .now - $0 } ?? .zero))
                }
                if done { return }
                if spent >= pacing {
                    relay.detach()
                    return
                }
                try? await Task.sleep(for: min(pacing - spent, pacing / 4))
            }
        }
    }

    /// Stops relaying to the client and lets the transfer go on at once: the client keeps
    /// what is buffered, then gets ``Detached``.
    func detach() {
        let (producer, consumer) = state.withLock { state -> (CheckedContinuation<Void, Never>?, CheckedContinuation<ByteBuffer?, any Error>?) in
            guard !state.abandoned, !state.detached else { return (nil, nil) }
            state.detached = true
            state.held = nil
            Self.stopWaiting(&state)
            defer {
                state.producer = nil
                // A client waiting has nothing buffered: it goes to the cache.
                state.consumer = nil
            }
            return (state.producer, state.consumer)
        }
        producer?.resume()
        consumer?.resume(throwing: Detached())
    }

    /// Adds the producer's current wait to its total (called under the lock).
    private static func stopWaiting(_ state: inout State) {
        if let start = state.waitStart { state.waited += .now - start }
        state.waitStart = nil
    }

    /// Keeps the transfer's last chunk back until ``finish(_:)`` says whether the bytes were
    /// whole: delivered then if so, dropped if not.
    func hold(_ chunk: ByteBuffer) {
        state.withLock { state in
            if !state.abandoned, !state.detached { state.held = chunk }
        }
    }

    /// Ends the transfer: the client reads what is buffered (and the held last chunk when
    /// there is no `error`), then the end or `error`.
    func finish(_ error: (any Error)?) {
        let (waiting, last) = state.withLock { state -> (CheckedContinuation<ByteBuffer?, any Error>?, ByteBuffer?) in
            state.finished = true
            if state.failure == nil { state.failure = error }
            let held = state.held
            state.held = nil
            defer { state.consumer = nil }
            guard error == nil, let held else { return (state.consumer, nil) }
            if state.consumer == nil {
                state.chunks.append(held)
                state.buffered += held.readableBytes
                return (nil, nil)
            }
            return (state.consumer, held)
        }
        if let error {
            waiting?.resume(throwing: error)
        } else {
            waiting?.resume(returning: last)
        }
    }

    /// The client's next chunk; nil at the end.
    func next() async throws -> ByteBuffer? {
        if let step = state.withLock({ step(&$0) }) { return try deliver(step) }
        return try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Step? in
                if let step = step(&state) { return step }
                state.consumer = continuation
                return nil
            }
            guard let ready else { return }
            do { continuation.resume(returning: try deliver(ready)) } catch { continuation.resume(throwing: error) }
        }
    }

    private enum Step {
        case chunk(ByteBuffer, resuming: CheckedContinuation<Void, Never>?)
        case end
        case failed(any Error)
    }

    /// What the client gets now, or nil when it must wait (called under the lock).
    private func step(_ state: inout State) -> Step? {
        if state.head < state.chunks.count {
            let chunk = state.chunks[state.head]
            state.head += 1
            state.buffered -= chunk.readableBytes
            if state.head == state.chunks.count {
                state.chunks.removeAll(keepingCapacity: true)
                state.head = 0
            }
            var producer: CheckedContinuation<Void, Never>?
            if state.buffered <= limit, state.producer != nil {
                producer = state.producer
                state.producer = nil
                Self.stopWaiting(&state)
            }
            return .chunk(chunk, resuming: producer)
        }
        if state.detached { return .failed(Detached()) }
        if let failure = state.failure { return .failed(failure) }
        return state.finished ? .end : nil
    }

    private func deliver(_ step: Step) throws -> ByteBuffer? {
        switch step {
        case .chunk(let chunk, let producer):
            producer?.resume()
            return chunk
        case .end: return nil
        case .failed(let error): throw error
        }
    }

    /// The client went away: drop what is buffered and never make the producer wait again.
    func abandon() {
        let (producer, consumer) = state.withLock { state -> (CheckedContinuation<Void, Never>?, CheckedContinuation<ByteBuffer?, any Error>?) in
            state.abandoned = true
            state.chunks = []
            state.head = 0
            state.buffered = 0
            if state.failure == nil && !state.finished { state.failure = Abandoned() }
            defer {
                state.producer = nil
                state.consumer = nil
            }
            return (state.producer, state.consumer)
        }
        producer?.resume()
        consumer?.resume(throwing: Abandoned())
    }
}
