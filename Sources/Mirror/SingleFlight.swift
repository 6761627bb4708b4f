import Synchronization

/// One piece of work per key at a time, its result shared by every caller who asked
/// meanwhile: however many clients pull an uncached tag at once, the upstream is asked
/// once. The work runs in a task of its own, so a caller who gives up does not cancel it
/// for the others.
final class SingleFlight<Value: Sendable>: Sendable {
    private struct Entry {
        var id: UInt64
        var task: Task<Value, any Error>
    }
    private let entries = Mutex<(next: UInt64, running: [String: Entry])>((0, [:]))

    /// The result of the work running for `key`, starting `work` when none is.
    /// - Returns: the value, and whether this caller started the work.
    func run(_ key: String, _ work: @escaping @Sendable () async throws -> Value) async throws -> (Value, started: Bool) {
        let (task, started) = start(key, work)
        return (try await task.value, started)
    }

    /// The task running for `key`, started with `work` when none is; the caller that
    /// started it may go on before it ends (a blob streamed to its first client).
    func start(_ key: String, _ work: @escaping @Sendable () async throws -> Value) -> (Task<Value, any Error>, started: Bool) {
        entries.withLock { entries -> (Task<Value, any Error>, Bool) in
            if let entry = entries.running[key] { return (entry.task, false) }
            entries.next += 1
            let id = entries.next
            let task = Task {
                defer { self.finished(key, id) }
                return try await work()
            }
            entries.running[key] = Entry(id: id, task: task)
            return (task, true)
        }
    }

    /// The work running for `key`, if any, for callers that only want to wait for it.
    func running(_ key: String) -> Task<Value, any Error>? {
        entries.withLock { $0.running[key]?.task }
    }

    private func finished(_ key: String, _ id: UInt64) {
        entries.withLock { entries in
            if entries.running[key]?.id == id { entries.running[key] = nil }
        }
    }
}
