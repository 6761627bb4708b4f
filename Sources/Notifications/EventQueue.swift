import Foundation
import Storage
import Synchronization

/// One endpoint's undelivered events (notifications, webhook deliveries), kept on disk in
/// order.
///
/// distribution keeps its queue in memory, so a restart or a crash drops whatever a down
/// receiver had not taken yet. Here every event is a file named by a sequence number,
/// written atomically before the request that caused it returns, and removed only after
/// the endpoint acknowledged it: delivery is at least once and in order, across restarts.
public final class EventQueue<Item: Codable & Sendable>: Sendable {
    private struct State {
        var next: UInt64
        /// Sequence numbers in order; `ready` once the event's file is written. Delivery
        /// stops at the first one not ready, so a slow write never lets a later event
        /// overtake it.
        var pending: [(sequence: UInt64, ready: Bool)]
        var dropped = 0
    }

    private let store: FileSystemDriver
    private let state: Mutex<State>
    /// Events kept at most per endpoint; past it new events are dropped (and counted), so a
    /// receiver that is gone for good cannot fill the registry's disk.
    static var capacity: Int { 100_000 }
    /// This queue's: ``capacity`` but in tests, which cannot write a hundred thousand
    /// files to see what a full queue does.
    private let limit: Int

    private static var width: Int { 20 }

    /// Opens (or creates) the queue in `directory`, picking up events left by a previous run.
    /// - Parameter capacity: events kept at most; nil: the standard ``capacity``.
    public init(directory: String, capacity: Int? = nil) async throws {
        limit = capacity ?? Self.capacity
        store = FileSystemDriver(root: directory)
        let existing = (try await store.list("/") ?? [])
            .compactMap { $0.hasSuffix(".json") ? UInt64($0.dropLast(5)) : nil }
            .sorted()
        state = Mutex(State(next: (existing.last ?? 0) + 1, pending: existing.map { ($0, true) }))
    }

    /// Events waiting.
    public var depth: Int { state.withLock { $0.pending.count } }

    private static func name(_ sequence: UInt64) -> String {
        let digits = String(sequence)
        return "/" + String(repeating: "0", count: max(0, width - digits.count)) + digits + ".json"
    }

    /// Stores an event at the end of the queue.
    /// - Returns: false when the queue is full and the event was dropped.
    @discardableResult
    public func append(_ event: Item) async throws -> Bool {
        let bytes = try JSONEncoder().encode(event)
        let sequence = state.withLock { state -> UInt64? in
            guard state.pending.count < limit else {
                state.dropped += 1
                return nil
            }
            defer { state.next += 1 }
            state.pending.append((state.next, false))
            return state.next
        }
        guard let sequence else { return false }
        // Not fsynced: events survive restarts and crashes of the process, which is what a
        // receiver outage or a deploy needs, without a disk flush on every push.
        do {
            try await store.write(Array(bytes), to: Self.name(sequence), durable: false)
        } catch {
            state.withLock { $0.pending.removeAll { $0.sequence == sequence } }
            throw error
        }
        state.withLock { state in
            if let index = state.pending.firstIndex(where: { $0.sequence == sequence }) { state.pending[index].ready = true }
        }
        return true
    }

    /// The oldest events, at most `limit`, with the sequence numbers to acknowledge them by.
    public func peek(_ limit: Int) async throws -> [(UInt64, Item)] {
        let sequences = state.withLock { state in
            Array(state.pending.prefix { $0.ready }.prefix(limit).map(\.sequence))
        }
        var events = [(UInt64, Item)]()
        for sequence in sequences {
            guard let bytes = try await store.contents(of: Self.name(sequence), limit: 1 << 20),
                  let event = try? JSONDecoder().decode(Item.self, from: Data(bytes))
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
    public func acknowledge(_ sequences: [UInt64]) async throws {
        for sequence in sequences { try await store.delete(Self.name(sequence)) }
        let done = Set(sequences)
        state.withLock { $0.pending.removeAll { done.contains($0.sequence) } }
    }
}
