/// The SQL engine under the index: embedded SQLite for one instance, PostgreSQL for
/// several. Queries use `$1`, `$2`… placeholders, which both engines read, so each query is
/// written once; where the engines' SQL differs (full-text search), ``engine`` tells.
public protocol IndexDatabase: Sendable {
    /// Which engine this is, for the few statements that differ.
    var engine: IndexEngine { get }

    /// Runs one statement and returns its rows.
    func query(_ sql: String, _ binds: [IndexValue]) async throws -> [IndexRow]

    /// Runs a statement the index runs often, kept prepared where the engine can.
    func query<Statement: IndexStatement>(_ statement: Statement.Type, _ binds: [IndexValue]) async throws -> [IndexRow]

    /// Runs `body` in one transaction: all of it is applied or none.
    func transaction<T: Sendable>(_ body: @Sendable (any IndexDatabase) async throws -> T) async throws -> T

    /// A transaction as long as its work takes: a schema migration rewrites whole tables
    /// once, which a large index does not finish within a request's deadline (and an
    /// instance waiting for another's migration waits as long).
    func unhurriedTransaction<T: Sendable>(_ body: @Sendable (any IndexDatabase) async throws -> T) async throws -> T

    /// Closes the connection; nothing may be asked afterwards.
    func close() async
}

extension IndexDatabase {
    /// An engine without deadlines needs nothing else.
    public func unhurriedTransaction<T: Sendable>(_ body: @Sendable (any IndexDatabase) async throws -> T) async throws -> T {
        try await transaction(body)
    }

    /// Sends the statement's text: an engine whose planning is cheap (SQLite) keeps nothing.
    public func query<Statement: IndexStatement>(_ statement: Statement.Type, _ binds: [IndexValue]) async throws -> [IndexRow] {
        try await query(Statement.sql(for: engine), binds)
    }

    /// Runs one statement for its effect.
    public func execute(_ sql: String, _ binds: [IndexValue] = []) async throws {
        _ = try await query(sql, binds)
    }
}

/// The engines the index runs on.
public enum IndexEngine: String, Sendable {
    case sqlite
    case postgres
}
