public import Foundation
import Storage
import Synchronization

/// One collector at a time among the instances that share a store, and when the last
/// collection finished, so a restarted or added instance keeps the interval.
///
/// A record in the store, not a lock: two instances starting at the same moment both write
/// it, and the one whose write stays (read back after a pause) collects. Safety never rests
/// on it, since the sweep's protocol holds with two collectors; it only saves the work.
public final class CollectorLease: Sendable {
    /// Why a collection stopped for its lease.
    public struct Lost: Error, Sendable, CustomStringConvertible {
        /// Who holds the lease now, for the log.
        public var holder: String
        public var description: String { "the collector lease was taken by \(holder)" }
    }

    struct Record: Codable {
        var owner: String
        /// Seconds since 1970 after which the lease is free again if not renewed.
        var expires: Double
        var lastSuccess: Double?
        /// When an instance first looked for the record: a store never collected waits one
        /// interval from then (not from each restart) before its first collection.
        var created: Double?
    }

    let registry: Registry
    /// This collector's name in the record (host and process), for operators reading it.
    public let owner: String
    /// How long a lease lasts without renewal: a collector that dies frees it after this.
    public let duration: Duration
    /// How long a new holder waits before reading its record back: longer than two
    /// instances' writes can be apart when they read a free lease at the same moment.
    public let settle: Duration
    private let renewed = Mutex<Double>(0)

    public init(registry: Registry, owner: String, duration: Duration = .seconds(300), settle: Duration = .milliseconds(200)) {
        self.registry = registry
        self.owner = owner
        self.duration = duration
        self.settle = settle
    }

    /// When a collection last finished, by any instance; nil before the first.
    public func lastSuccess() async throws -> Date? {
        try await read()?.lastSuccess.map(Date.init(timeIntervalSince1970:))
    }

    /// What the next collection's interval counts from: the last one's end, or, on a store
    /// never collected, when an instance first asked (recorded now if nobody had).
    public func intervalStart(now: Date = Date()) async throws -> Date {
        guard let record = try await read() else {
            try await write(Record(owner: "", expires: 0, lastSuccess: nil, created: now.timeIntervalSince1970))
            return now
        }
        return Date(timeIntervalSince1970: record.lastSuccess ?? record.created ?? 0)
    }

    /// Takes the lease when it is free, expired, already this collector's, or held by a
    /// process of this host that is gone (killed in a collection: its batch is put back at
    /// once, not when the lease runs out).
    /// - Returns: false when another collector holds it.
    public func acquire(now: Date = Date()) async throws -> Bool {
        let current = try await read()
        if let current, current.owner != owner, !current.owner.isEmpty, current.expires > now.timeIntervalSince1970,
           !isGoneProcessOfThisHost(current.owner) {
            return false
        }
        try await write(Record(
            owner: owner, expires: now.timeIntervalSince1970 + GarbageCollector.seconds(duration),
            lastSuccess: current?.lastSuccess, created: current?.created
        ))
        // Another instance that read the same free lease writes it at about the same time;
        // the write that stays decides.
        try await Task.sleep(for: settle)
        guard try await read()?.owner == owner else { return false }
        renewed.withLock { $0 = now.timeIntervalSince1970 }
        return true
    }

    /// Pushes the expiry forward once a quarter of it has passed.
    /// - Throws: ``Lost`` when another collector took the lease meanwhile.
    public func renew(now: Date = Date()) async throws {
        let seconds = now.timeIntervalSince1970
        guard seconds - renewed.withLock({ $0 }) >= GarbageCollector.seconds(duration) / 4 else { return }
        let current = try await read()
        guard let current, current.owner == owner else { throw Lost(holder: try await read()?.owner ?? "nobody") }
        try await write(Record(owner: owner, expires: seconds + GarbageCollector.seconds(duration), lastSuccess: current.lastSuccess, created: current.created))
        renewed.withLock { $0 = seconds }
    }

    /// Renews the lease every quarter of its duration until cancelled: marking a large
    /// store takes longer than a lease lasts, and has no batches to renew between.
    public func renewing() -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: duration / 4)
                guard !Task.isCancelled else { return }
                try? await renew()
            }
        }
    }

    /// Frees the lease; after a collection that finished, records when.
    public func release(succeeded: Bool, now: Date = Date()) async throws {
        let current = try await read()
        guard current?.owner == owner else { return }
        let last = succeeded ? now.timeIntervalSince1970 : current?.lastSuccess
        try await write(Record(owner: "", expires: 0, lastSuccess: last, created: current?.created))
        if succeeded { await keepReserve() }
    }

    /// Whether `holder` (`host:pid@namespace`, as ``owner(host:pid:)`` writes it) names this
    /// host, this process's pid namespace and a process that no longer runs. Containers that
    /// share a host name (host networking) have pid namespaces of their own, where another's
    /// pid means nothing; a pid reused by another process counts as running (the lease then
    /// simply runs out).
    func isGoneProcessOfThisHost(_ holder: String) -> Bool {
        guard let at = holder.lastIndex(of: "@"), let ownAt = owner.lastIndex(of: "@"),
              holder[at...] == owner[ownAt...] else { return false }
        let process = holder[..<at], own = owner[..<ownAt]
        guard let colon = process.lastIndex(of: ":"), let ownColon = own.lastIndex(of: ":"),
              process[..<colon] == own[..<ownColon], let pid = Int32(process[process.index(after: colon)...]), pid > 0
        else { return false }
        return kill(pid, 0) == -1 && errno == ESRCH
    }

    /// The name a collector of this process takes: host, pid and pid namespace (the inode
    /// of `/proc/self/ns/pid`), so a lease of a process that is gone can be told apart.
    public static func owner(host: String, pid: Int32) -> String {
        let namespace = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")) ?? "unknown"
        return "\(host):\(pid)@\(namespace)"
    }

    private func read() async throws -> Record? {
        guard let bytes = try await registry.driver.contents(of: registry.layout.collectorLease, limit: 64 << 10) else { return nil }
        return try? JSONDecoder().decode(Record.self, from: Data(bytes))
    }

    private func write(_ record: Record) async throws {
        let bytes = Array(try JSONEncoder().encode(record))
        do {
            try await registry.driver.write(bytes, to: registry.layout.collectorLease)
        } catch StorageError.io(_, _, let code) where code == ENOSPC || code == EDQUOT {
            // A full disk is when collecting matters most, and the lease is written as a new
            // file: the reserve gives up its blocks for it. The old lease stays until the
            // new one replaces it, so a write that still fails loses no schedule.
            try? await registry.driver.delete(registry.layout.collectorReserve)
            try await registry.driver.write(bytes, to: registry.layout.collectorLease)
        }
    }

    /// Takes the reserve (at start, and again once a collection has finished and so freed
    /// what it could), for the next full disk; stores that are never full (S3) do not get
    /// one.
    public func keepReserve() async {
        guard registry.driver.localFile(registry.layout.collectorReserve) != nil,
              (try? await registry.driver.fileInfo(registry.layout.collectorReserve)) == nil
        else { return }
        // Random bytes: a compressing filesystem (ZFS, btrfs) would keep zeros in no space.
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<Self.reserveSize / 8).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } }
        try? await registry.driver.write(bytes, to: registry.layout.collectorReserve, durable: false)
    }

    /// Enough blocks for the lease and the first writes of a collection.
    static let reserveSize = 256 << 10
}
