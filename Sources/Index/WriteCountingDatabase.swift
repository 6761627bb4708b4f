import Synchronization

/// An ``IndexDatabase`` that counts the writes made through it, so what is derived from
/// the tables (the search cache) knows when it may be stale: any write since it was read.
/// A write is counted once it is done, so a read that began before it is never filed
/// under the newer count.
final class WriteCountingDatabase: IndexDatabase {
    let base: any IndexDatabase
    private let count = Atomic<UInt64>(0)

    init(_ base: any IndexDatabase) {
        self.base = base
    }

    /// Writes finished so far.
    var writes: UInt64 { count.load(ordering: .acquiring) }

    var engine: IndexEngine { base.engine }

    func query(_ sql: String, _ binds: [IndexValue]) async throws -> [IndexRow] {
        guard !SQLiteIndexDatabase.isRead(sql) else { return try await base.query(sql, binds) }
        defer { count.add(1, ordering: .releasing) }
        return try await base.query(sql, binds)
    }

    func query<Statement: IndexStatement>(_ statement: Statement.Type, _ binds: [IndexValue]) async throws -> [IndexRow] {
        guard !SQLiteIndexDatabase.isRead(Statement.sql(for: engine)) else { return try await base.query(statement, binds) }
        defer { count.add(1, ordering: .releasing) }
        return try await base.query(statement, binds)
    }

    func transaction<T: Sendable>(_ body: @Sendable (any IndexDatabase) async throws -> T) async throws -> T {
        defer { count.add(1, ordering: .releasing) }
        return try await base.transaction(body)
    }

    func unhurriedTransaction<T: Sendable>(_ body: @Sendable (any IndexDatabase) async throws -> T) async throws -> T {
        defer { count.add(1, ordering: .releasing) }
        return try await base.unhurriedTransaction(body)
    }

    func close() async {
        await base.close()
    }
}
