import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// The index on a PostgreSQL server, which several Pier instances share: a change made
/// through one (a star, a visibility, a revoked token) holds at once through every other.
/// Statements run on a small pool of connections; a transaction keeps one to itself.
public final class PostgresIndexDatabase: IndexDatabase {
    public var engine: IndexEngine { .postgres }
    private let client: PostgresClient
    private let running: Task<Void, Never>
    private let logger: Logger
    private let closed = Atomic<Bool>(false)
    /// Whether statements the index runs often are sent prepared: until the server says a
    /// prepared statement does not exist, or already does. That is a pooler handing each
    /// transaction another server connection that knows none of this connection's
    /// statements (PgBouncer's transaction pooling before 1.21, or with its
    /// `max_prepared_statements` at 0); from then on they are sent unnamed, as every other is.
    private let preparing = Atomic<Bool>(true)

    /// Connects to `location`: one connection first, outside the pool, so a wrong host, a
    /// password or a certificate fails the start with its reason (the pool retries a failing
    /// connection without end, and its failure would show only as a missing answer); then
    /// the first statement proves the pool answers.
    public static func open(_ location: IndexDatabaseLocation.PostgresLocation, logger: Logger) async throws -> PostgresIndexDatabase {
        try await probe(location, logger: logger)
        if location.tls == .require {
            logger.info("TLS to the index database does not check the server's certificate (sslmode=require, as libpq); sslmode=verify-full does")
        }
        let tls: PostgresClient.Configuration.TLS
        switch location.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(Self.tlsConfiguration(location))
        case .require, .verifyCA, .verifyFull: tls = .require(Self.tlsConfiguration(location))
        }
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user,
            password: location.password, database: location.database, tls: tls
        )
        // Enough for the feed, the API and a rebuild at once; every instance has its own.
        configuration.options.maximumConnections = 8
        configuration.options.connectTimeout = .seconds(5)
        // The pool retries a refused connection without end, logging each try: its own
        // chatter is kept to warnings, and every statement has a deadline instead.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .warning)
        let database = PostgresIndexDatabase(client: PostgresClient(configuration: configuration, backgroundLogger: poolLogger), logger: logger)
        do {
            try await database.execute("SELECT 1")
        } catch {
            await database.close()
            throw error
        }
        return database
    }

    /// One connection to `location`, closed at once; its failure becomes
    /// ``IndexError/database(_:)`` with the reason.
    static func probe(_ location: IndexDatabaseLocation.PostgresLocation, logger: Logger) async throws {
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch location.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: tlsConfiguration(location)))
            case .require, .verifyCA, .verifyFull: tls = .require(try NIOSSLContext(configuration: tlsConfiguration(location)))
            }
        } catch {
            throw IndexError.database("TLS to the database could not be set up (sslrootcert \(location.rootCertificates ?? "none")): \(error)")
        }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user,
            password: location.password, database: location.database, tls: tls
        )
        configuration.options.connectTimeout = .seconds(5)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: quiet)
            try? await connection.close()
        } catch let error as PSQLError {
            throw failure(error)
        }
    }

    /// TLS as libpq's `sslmode` means it: encryption alone for `prefer` and `require`, the
    /// chain for `verify-ca`, the chain and the host for `verify-full`; against the
    /// `sslrootcert` file when given, else the system's authorities.
    static func tlsConfiguration(_ location: IndexDatabaseLocation.PostgresLocation) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch location.tls {
        case .disable, .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let file = location.rootCertificates { configuration.trustRoots = .file(file) }
        return configuration
    }

    private init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        self.running = Task { await client.run() }
    }

    /// How long a statement or transaction may wait for the server (a connection
    /// included): a server that is down fails an API request instead of holding it.
    static let deadline = Duration.seconds(10)
    /// A transaction's: a migration or a large repository's update does more.
    static let transactionDeadline = Duration.seconds(60)

    public func query(_ sql: String, _ binds: [IndexValue]) async throws -> [IndexRow] {
        let statement = try Self.statement(sql, binds)
        let (client, logger) = (client, logger)
        return try await Self.answering {
            try await Self.rows(client.query(statement, logger: logger))
        }
    }

    public func query<Statement: IndexStatement>(_ statement: Statement.Type, _ binds: [IndexValue]) async throws -> [IndexRow] {
        let sql = Statement.sql(for: .postgres)
        guard preparing.load(ordering: .relaxed) else { return try await query(sql, binds) }
        let unnamed = try Self.statement(sql, binds)
        let prepared = Prepared<Statement>(bindings: unnamed.binds)
        let (client, logger) = (client, logger)
        let started = ContinuousClock.now
        let outcome = try await Self.answering { () async throws -> PreparedOutcome in
            do {
                return .rows(try await client.execute(prepared, logger: logger).reduce(into: []) { $0.append($1) })
            } catch let error as PSQLError where error.serverInfo != nil {
                return .refused(state: error.serverInfo?[.sqlState] ?? "")
            }
        }
        switch outcome {
        case .rows(let rows):
            return rows
        case .refused(let state) where Self.lostPreparedStatement(state):
            if preparing.exchange(false, ordering: .relaxed) {
                logger.notice("index statements are sent unprepared from now on: the database's connections do not keep prepared statements (a pooler in transaction mode?)")
            }
        case .refused(let state):
            // A failed preparation stays failed on its connection (postgres-nio keeps it):
            // there the statement is sent unnamed from now on.
            logger.debug("a prepared index statement was refused; sent unnamed", metadata: ["statement": "\(Statement.name)", "sqlstate": "\(state)"])
        }
        // Sent unnamed, within what is left of the deadline. A server error on the prepared
        // path may be a failed preparation (a lock timeout, a cancel), which postgres-nio
        // keeps for that connection and answers at once from then on; the unnamed statement
        // is planned afresh, and a statement that is itself wrong fails here with its reason.
        let remaining = max(Self.deadline - (ContinuousClock.now - started), .milliseconds(100))
        return try await Self.answering(within: remaining) { try await Self.rows(client.query(unnamed, logger: logger)) }
    }

    /// What a prepared statement came to: its rows, or the server's refusal with its
    /// SQLSTATE.
    enum PreparedOutcome: Sendable {
        case rows([IndexRow])
        case refused(state: String)
    }

    /// A prepared statement's name: the statement's own and a hash of its text, so a
    /// server connection another instance (another version) prepared it on through a
    /// pooler never runs other text under the name.
    static func preparedName(_ name: String, sql: String) -> String {
        // FNV-1a: the same for every process and build, which Swift's `Hasher` is not.
        var hash: UInt32 = 2_166_136_261
        for byte in sql.utf8 {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        let hex = String(hash, radix: 16)
        return "pier_\(name)_" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Whether the server says a prepared statement does not exist (SQLSTATE 26000) or
    /// already does (42P05): the statements of this connection are not the server's.
    static func lostPreparedStatement(_ state: String) -> Bool {
        state == "26000" || state == "42P05"
    }

    /// An ``IndexStatement`` as postgres-nio prepares it: once per connection, its rows
    /// read as every other statement's.
    struct Prepared<Statement: IndexStatement>: PostgresPreparedStatement {
        typealias Row = IndexRow
        static var name: String { PostgresIndexDatabase.preparedName(Statement.name, sql: sql) }
        static var sql: String { Statement.sql(for: .postgres) }
        let bindings: PostgresBindings

        func makeBindings() -> PostgresBindings { bindings }

        func decodeRow(_ row: PostgresRow) -> IndexRow { PostgresIndexDatabase.row(row) }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any IndexDatabase) async throws -> T) async throws -> T {
        try await transaction(within: Self.transactionDeadline, body)
    }

    public func unhurriedTransaction<T: Sendable>(_ body: @Sendable (any IndexDatabase) async throws -> T) async throws -> T {
        try await transaction(within: Self.migrationDeadline, body)
    }

    /// A migration's: rewriting every search document of a large index takes minutes.
    static let migrationDeadline = Duration.seconds(6 * 3600)

    private func transaction<T: Sendable>(within deadline: Duration, _ body: @Sendable (any IndexDatabase) async throws -> T) async throws -> T {
        let (client, logger) = (client, logger)
        // The group in `withinDeadline` is awaited before this returns: `body` never
        // outlives the call.
        return try await withoutActuallyEscaping(body) { body in
            try await Self.withinDeadline(deadline) {
                try await client.withConnection { connection in
                    let leased = Leased(connection: connection, logger: logger)
                    try await leased.execute("BEGIN")
                    do {
                        let result = try await body(leased)
                        try await leased.execute("COMMIT")
                        return result
                    } catch {
                        try? await leased.execute("ROLLBACK")
                        throw error
                    }
                }
            }
        }
    }

    /// Runs one statement, answering after `limit` at the latest. postgres-nio cannot cancel
    /// a statement the server holds (a lock wait, a peer gone silent), and a task group
    /// waits for its children: the statement is left to finish on its own, its connection
    /// returned to the pool then, while the request fails now. The work is cancelled all
    /// the same, which drops it while it still waits for a connection (so a held pool does
    /// not queue every later request's statement behind it), and a caller cancelled (its
    /// client gone) is answered at once. Only for work that captures nothing the caller
    /// must outlive (not a transaction's body).
    static func answering<T: Sendable>(within limit: Duration = deadline, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let waiting = Waiting<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard waiting.wait(continuation) else { return }
                let worker = Task {
                    let result: Result<T, any Error>
                    do {
                        result = .success(try await work())
                    } catch let error as PSQLError {
                        result = .failure(failure(error))
                    } catch {
                        result = .failure(error)
                    }
                    waiting.resume(with: result)
                }
                let timer = Task {
                    guard (try? await Task.sleep(for: limit)) != nil else { return }
                    waiting.resume(with: .failure(IndexError.database("no answer within \(limit)")))
                }
                waiting.hold([worker, timer])
            }
        } onCancel: {
            waiting.resume(with: .failure(CancellationError()))
        }
    }

    /// A caller waiting for the first of a statement's answer, its deadline and its own
    /// cancellation; whichever comes first answers it and cancels the rest.
    private final class Waiting<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var tasks: [Task<Void, Never>] = []
            /// Answered (or cancelled) already.
            var over = false
        }

        private let state = Mutex(State())

        /// Keeps the caller's continuation; false when the caller was cancelled before it
        /// waited (the continuation is answered at once).
        func wait(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
            let over = state.withLock { state in
                if !state.over { state.continuation = continuation }
                return state.over
            }
            if over { continuation.resume(throwing: CancellationError()) }
            return !over
        }

        /// The tasks to cancel once the caller is answered; cancelled at once if it was.
        func hold(_ tasks: [Task<Void, Never>]) {
            let over = state.withLock { state in
                if !state.over { state.tasks = tasks }
                return state.over
            }
            if over { for task in tasks { task.cancel() } }
        }

        /// Answers the caller, once: whatever comes later finds nobody waiting.
        func resume(with result: Result<T, any Error>) {
            let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) in
                guard !state.over else { return (nil, []) }
                state.over = true
                defer { state.continuation = nil; state.tasks = [] }
                return (state.continuation, state.tasks)
            }
            continuation?.resume(with: result)
            for task in tasks { task.cancel() }
        }
    }

    /// Runs `work`, failing it after `limit`; the server's errors become
    /// ``IndexError/database(_:)`` with the server's own message.
    static func withinDeadline<T: Sendable>(_ limit: Duration = deadline, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await work() }
                group.addTask {
                    try await Task.sleep(for: limit)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let result = first else {
                    throw IndexError.database("no answer within \(limit)")
                }
                return result
            }
        } catch let error as PSQLError {
            throw failure(error)
        }
    }

    public func close() async {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        running.cancel()
        await running.value
    }

    deinit {
        running.cancel()
    }

    static func statement(_ sql: String, _ binds: [IndexValue]) throws -> PostgresQuery {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .integer(let value): bindings.append(value)
            case .double(let value): bindings.append(value)
            case .text(let value): bindings.append(value)
            case .null: bindings.appendNull()
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    static func rows(_ sequence: PostgresRowSequence) async throws -> [IndexRow] {
        var rows = [IndexRow]()
        for try await row in sequence { rows.append(Self.row(row)) }
        return rows
    }

    /// A row in the shared value type, by column name.
    static func row(_ row: PostgresRow) -> IndexRow {
        var values = [String: IndexValue]()
        for cell in row { values[cell.columnName] = value(cell) }
        return IndexRow(values)
    }

    /// A cell in the shared value type: integers of every width, floats, text; booleans as
    /// 0 or 1 (SQLite's way), so callers read both engines alike.
    static func value(_ cell: PostgresCell) -> IndexValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8:
            return (try? cell.decode(Int64.self)).map(IndexValue.integer) ?? .null
        case .float4, .float8:
            return (try? cell.decode(Double.self)).map(IndexValue.double) ?? .null
        case .bool:
            return (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
        default:
            return (try? cell.decode(String.self)).map(IndexValue.text) ?? .null
        }
    }

    /// The server's own message (PSQLError's description hides it by design), or what
    /// failed underneath (a refused connection, a TLS handshake).
    static func failure(_ error: PSQLError) -> IndexError {
        let message = error.serverInfo?[.message] ?? error.underlying.map { "\(error.code): \($0)" } ?? "\(error.code)"
        let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
        return .database(message + state)
    }

    /// One connection held for a transaction: its statements never interleave with others'.
    private struct Leased: IndexDatabase {
        let connection: PostgresConnection
        let logger: Logger
        var engine: IndexEngine { .postgres }

        func query(_ sql: String, _ binds: [IndexValue]) async throws -> [IndexRow] {
            let statement = try PostgresIndexDatabase.statement(sql, binds)
            return try await PostgresIndexDatabase.rows(connection.query(statement, logger: logger))
        }

        func transaction<T: Sendable>(_ body: @Sendable (any IndexDatabase) async throws -> T) async throws -> T {
            try await body(self)
        }

        func close() async {}
    }
}
