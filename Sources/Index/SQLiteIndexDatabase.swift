import Logging
import NIOPosix
import SQLiteNIO
import Synchronization

/// The index on an embedded SQLite file: no server to run, WAL so readers never wait for
/// the writer. Every write runs on one connection behind an ``AsyncLock``, so a transaction
/// is never interleaved with another caller's statements; reads outside transactions run
/// on two read-only connections of their own, side by side (WAL lets them), so API
/// requests do not queue behind one another or behind the feed's writes.
public final class SQLiteIndexDatabase: IndexDatabase {
    public var engine: IndexEngine { .sqlite }
    private let connection: SQLiteConnection
    private let lock = AsyncLock()
    private let readers: [(connection: SQLiteConnection, lock: AsyncLock)]
    private let nextReader = Atomic<Int>(0)
    private let closed = Atomic<Bool>(false)
    /// Read-only connections opened beside the writer.
    static let readerCount = 2

    /// Opens (creating) the database at `path`.
    public static func open(path: String, logger: Logger) async throws -> SQLiteIndexDatabase {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        var readers = [SQLiteConnection]()
        do {
            for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 5000"] {
                _ = try await connection.query(pragma, [])
            }
            for _ in 0..<readerCount {
                let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                readers.append(reader)
                for pragma in ["PRAGMA query_only = ON", "PRAGMA busy_timeout = 5000"] { _ = try await reader.query(pragma, []) }
            }
        } catch {
            for reader in readers { try? await reader.close() }
            try? await connection.close()
            throw error
        }
        return SQLiteIndexDatabase(connection: connection, readers: readers)
    }

    private init(connection: SQLiteConnection, readers: [SQLiteConnection]) {
        self.connection = connection
        self.readers = readers.map { ($0, AsyncLock()) }
    }

    public func query(_ sql: String, _ binds: [IndexValue]) async throws -> [IndexRow] {
        if Self.isRead(sql), !readers.isEmpty {
            let reader = readers[nextReader.wrappingAdd(1, ordering: .relaxed).oldValue % readers.count]
            return try await reader.lock.withLock { try await Self.run(reader.connection, sql, binds) }
        }
        return try await lock.withLock { try await run(sql, binds) }
    }

    /// Whether `sql` only reads (a `SELECT`), so a read-only connection may run it.
    static func isRead(_ sql: String) -> Bool {
        sql.drop(while: { $0.isWhitespace }).prefix(6).uppercased() == "SELECT"
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any IndexDatabase) async throws -> T) async throws -> T {
        try await lock.withLock {
            _ = try await run("BEGIN IMMEDIATE", [])
            do {
                let result = try await body(Locked(database: self))
                _ = try await run("COMMIT", [])
                return result
            } catch {
                _ = try? await run("ROLLBACK", [])
                throw error
            }
        }
    }

    public func close() async {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        for reader in readers { try? await reader.connection.close() }
        try? await connection.close()
    }

    /// A database dropped without ``close()`` (a failed start, a test's early exit) is
    /// closed anyway: the connections outlive this object until their close has run.
    deinit {
        if !closed.exchange(true, ordering: .relaxed) {
            for reader in readers { _ = reader.connection.close() }
            _ = connection.close()
        }
    }

    fileprivate func run(_ sql: String, _ binds: [IndexValue]) async throws -> [IndexRow] {
        try await Self.run(connection, sql, binds)
    }

    static func run(_ connection: SQLiteConnection, _ sql: String, _ binds: [IndexValue]) async throws -> [IndexRow] {
        let rows = try await connection.query(Self.positional(sql), binds.map(Self.data))
        return rows.map { row in
            var values = [String: IndexValue]()
            for column in row.columns { values[column.name] = Self.value(column.data) }
            return IndexRow(values)
        }
    }

    /// `$1` → `?1`: SQLite reads `$1` as a *named* parameter numbered by first appearance,
    /// `?1` as the first bind, which is what the shared queries mean.
    static func positional(_ sql: String) -> String {
        var result = ""
        result.reserveCapacity(sql.utf8.count)
        var previous: Character = " "
        for character in sql {
            if previous == "$", character.isNumber { result.removeLast(); result.append("?") }
            result.append(character)
            previous = character
        }
        return result
    }

    static func data(_ value: IndexValue) -> SQLiteData {
        switch value {
        case .integer(let value): .integer(Int(value))
        case .double(let value): .float(value)
        case .text(let value): .text(value)
        case .null: .null
        }
    }

    static func value(_ data: SQLiteData) -> IndexValue {
        switch data {
        case .integer(let value): .integer(Int64(value))
        case .float(let value): .double(value)
        case .text(let value): .text(value)
        case .blob(let buffer): .text(String(buffer: buffer))
        case .null: .null
        }
    }

    /// The database inside a transaction: statements run under the lock already held.
    private struct Locked: IndexDatabase {
        let database: SQLiteIndexDatabase
        var engine: IndexEngine { .sqlite }

        func query(_ sql: String, _ binds: [IndexValue]) async throws -> [IndexRow] {
            try await database.run(sql, binds)
        }

        func transaction<T: Sendable>(_ body: @Sendable (any IndexDatabase) async throws -> T) async throws -> T {
            try await body(self)
        }

        func close() async {}
    }
}
