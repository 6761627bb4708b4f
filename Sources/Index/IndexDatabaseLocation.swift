import Foundation

/// Where the index lives, as `index.database` names it: an SQLite file for one instance, a
/// PostgreSQL server for several instances sharing one index.
public enum IndexDatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// `sqlite:///absolute/path`.
    case sqlite(path: String)
    /// `postgres://user:password@host:port/database?sslmode=…` (or `postgresql://`).
    case postgres(PostgresLocation)

    /// What a PostgreSQL URL says, decoded.
    public struct PostgresLocation: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var database: String
        /// `sslmode`: `disable`, `prefer` (the default, as libpq's) or `require`.
        public var tls: TLSMode

        /// How the connection is encrypted; libpq's names, so a URL from psql works here.
        public enum TLSMode: String, Sendable {
            case disable, prefer, require
        }
    }

    /// Reads `url`; a wrong one is refused with the reason, never guessed at.
    public init(url: String) throws(IndexError) {
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard path.hasPrefix("/") else { throw .unsupportedDatabase(url, reason: "must be sqlite:///absolute/path") }
            self = .sqlite(path: path)
            return
        }
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw .unsupportedDatabase(Self.redacted(url), reason: "must be sqlite:///path or postgres://user:password@host/database")
        }
        guard let parts = URLComponents(string: url) else {
            // Unparsable, so its password cannot be told apart: none of it is repeated.
            throw .unsupportedDatabase("postgres://…", reason: "is not a URL (a password's special characters must be percent-encoded)")
        }
        var query = [String: String]()
        for item in parts.queryItems ?? [] { query[item.name] = item.value ?? "" }
        // libpq's `?host=/run/postgresql` (a socket directory) is not offered: say so.
        guard let host = parts.host, !host.isEmpty else {
            throw .unsupportedDatabase(Self.redacted(url), reason: "names no host")
        }
        let database = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        guard !database.isEmpty, !database.contains("/") else {
            throw .unsupportedDatabase(Self.redacted(url), reason: "names no database (postgres://user@host/database)")
        }
        let mode = query["sslmode"] ?? "prefer"
        let tls: PostgresLocation.TLSMode
        switch mode {
        case "disable", "allow": tls = .disable
        case "prefer": tls = .prefer
        case "require", "verify-ca", "verify-full": tls = .require
        default: throw .unsupportedDatabase(Self.redacted(url), reason: "sslmode '\(mode)' is not one of disable, prefer, require")
        }
        for key in query.keys where key != "sslmode" {
            throw .unsupportedDatabase(Self.redacted(url), reason: "parameter '\(key)' is not supported (only sslmode)")
        }
        self = .postgres(PostgresLocation(
            host: host, port: parts.port ?? 5432,
            user: parts.user.flatMap { $0.removingPercentEncoding } ?? "postgres",
            password: parts.password.flatMap { $0.removingPercentEncoding },
            database: database.removingPercentEncoding ?? database, tls: tls
        ))
    }

    /// The location for logs: the password never appears.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite://\(path)"
        case .postgres(let p): "postgres://\(p.user)@\(p.host):\(p.port)/\(p.database)"
        }
    }

    /// `url` with its password masked, for error messages and `pier config check`.
    public static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url), parts.password != nil else { return url }
        parts.password = "***"
        return parts.string ?? "(a postgres URL)"
    }
}
