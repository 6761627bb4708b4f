import Synchronization

/// Serialises work per key (an upload session) without blocking threads, so two requests
/// on one session never interleave their bytes.
final class KeyedLock: Sendable {
    private let waiters = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    func withLock<T>(_ key: String, _ body: () async throws -> T) async throws -> T {
        await lock(key)
        defer { unlock(key) }
        return try await body()
    }

    private func lock(_ key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = waiters.withLock { state -> Bool in
                if var queue = state[key] {
                    queue.append(continuation)
                    state[key] = queue
                    return false
                }
                state[key] = []
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    private func unlock(_ key: String) {
        let next = waiters.withLock { state -> CheckedContinuation<Void, Never>? in
            guard var queue = state[key], !queue.isEmpty else {
                state[key] = nil
                return nil
            }
            let next = queue.removeFirst()
            state[key] = queue
            return next
        }
        next?.resume()
    }
}
