import NIOCore
import Synchronization

/// Hands the chunks of one upstream transfer to the client that started it while the
/// transfer writes them to the cache: the producer waits when the client is more than
/// `limit` bytes behind (so a slow client costs at most that much memory), and stops
/// waiting for good once the client has gone (so the cache is still filled for everyone
/// else).
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
        /// When the client last took a chunk, and whether a watchdog checks that.
        var lastTake = ContinuousClock.now
        var watched = false
        /// The transfer's last chunk, given to the client only if the transfer ends well.
        var held: ByteBuffer?
    }

    /// Why a client's read fails after it was cut loose.
    struct Abandoned: Error {}

    private let state = Mutex(State())
    private let limit: Int
    /// How long the transfer waits for a client that takes nothing before it goes on
    /// without it: a client that stopped reading must not hold back, or time out, the
    /// transfer other clients wait for.
    private let patience: Duration

    init(limit: Int = 8 * 1024 * 1024, patience: Duration = .seconds(20)) {
        self.limit = limit
        self.patience = patience
    }

    /// Offers a chunk to the client; returns once the client is within `limit` bytes.
    func send(_ chunk: ByteBuffer) async {
        let waiting: CheckedContinuation<ByteBuffer?, any Error>? = state.withLock { state in
            guard !state.abandoned else { return nil }
            if let consumer = state.consumer {
                state.consumer = nil
                state.lastTake = .now
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
                guard !state.abandoned, state.buffered > limit else { return (true, false) }
                state.producer = continuation
                defer { state.watched = true }
                return (false, !state.watched)
            }
            if proceed { continuation.resume() }
            if watch { startWatchdog() }
        }
    }

    /// Cuts the client loose when it has taken nothing for `patience` while the transfer
    /// waits for it; ends with the transfer.
    private func startWatchdog() {
        Task { [weak self, patience] in
            while let relay = self {
                let (done, stalled) = relay.state.withLock { state in
                    (state.finished || state.abandoned, state.producer != nil && ContinuousClock.now - state.lastTake > patience)
                }
                if done { return }
                if stalled {
                    relay.abandon()
                    return
                }
                try? await Task.sleep(for: patience / 4)
            }
        }
    }

    /// Keeps the transfer's last chunk back until ``finish(_:)`` says whether the bytes were
    /// whole: delivered then if so, dropped if not.
    func hold(_ chunk: ByteBuffer) {
        state.withLock { state in
            if !state.abandoned { state.held = chunk }
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
            state.lastTake = .now
            state.head += 1
            state.buffered -= chunk.readableBytes
            if state.head == state.chunks.count {
                state.chunks.removeAll(keepingCapacity: true)
                state.head = 0
            }
            var producer: CheckedContinuation<Void, Never>?
            if state.buffered <= limit {
                producer = state.producer
                state.producer = nil
            }
            return .chunk(chunk, resuming: producer)
        }
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
