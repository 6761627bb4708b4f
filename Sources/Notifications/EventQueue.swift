import Foundation
import Storage
import Synchronization

/// One endpoint's undelivered events, kept on disk in order.
///
/// distribution keeps its queue in memory, so a restart or a crash drops whatever a down
/// receiver had not taken yet. Here every event is a file named by a sequence number,
/// written atomically before the request that caused it returns, and removed only after
/// the endpoint acknowledged it: delivery is at least once and in order, across restarts.
final class EventQueue: Sendable {
    private let store: FileSystemDriver
    private let state: Mutex<(next: UInt64, pending: [UInt64])>

    private static let width = 20

    /// Opens (or creates) the queue in `directory`, picking up events left by a previous run.
    init(directory: String) async throws {
        store = FileSystemDriver(root: directory)
        let existing = (try await store.list("/") ?? [])
            .compactMap { $0.hasSuffix(".json") ? UInt64($0.dropLast(5)) : nil }
            .sorted()
        state = Mutex(((existing.last ?? 0) + 1, existing))
    }

    var depth: Int { state.withLock { $0.pending.count } }

    private static func name(_ sequence: UInt64) -> String {
        let digits = String(sequence)
        return "/" + String(repeating: "0", count: max(0, width - digits.count)) + digits + ".json"
    }

    /// Stores an event at the end of the queue.
    func append(_ event: RegistryEvent) async throws {
        let bytes = try JSONEncoder().encode(event)
        let sequence = state.withLock { state -> UInt64 in
            defer { state.next += 1 }
            return state.next
        }
        // Not fsynced: events survive restarts and crashes of the process, which is what a
        // receiver outage or a deploy needs, without a disk flush on every push.
        try await store.write(Array(bytes), to: Self.name(sequence), durable: false)
        state.withLock { state in
            let index = state.pending.lastIndex { $0 < sequence }.map { $0 + 1 } ?? 0
            state.pending.insert(sequence, at: index)
        }
    }

    /// The oldest events, at most `limit`, with the sequence numbers to acknowledge them by.
    func peek(_ limit: Int) async throws -> [(UInt64, RegistryEvent)] {
        let sequences = state.withLock { Array($0.pending.prefix(limit)) }
        var events = [(UInt64, RegistryEvent)]()
        for sequence in sequences {
            guard let bytes = try await store.contents(of: Self.name(sequence), limit: 1 << 20),
                  let event = try? JSONDecoder().decode(RegistryEvent.self, from: Data(bytes))
            else {
                // Unreadable (a partial file cannot exist: writes are atomic); drop it.
                try await acknowledge([sequence])
                continue
            }
            events.append((sequence, event))
        }
        return events
    }

    /// Removes delivered events.
    func acknowledge(_ sequences: [UInt64]) async throws {
        for sequence in sequences { try await store.delete(Self.name(sequence)) }
        let done = Set(sequences)
        state.withLock { $0.pending.removeAll { done.contains($0) } }
    }
}
