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
        /// `sslmode`, as libpq reads it.
        public var tls: TLSMode
        /// `sslrootcert`: the PEM file of the certificate authorities the server's
        /// certificate must chain to; without it, the system's.
        public var rootCertificates: String?

        /// How the connection is encrypted and what of the server's certificate is checked;
        /// libpq's names and meanings, so a URL that works with psql works here. `prefer`
        /// and `require` encrypt without checking the certificate, as libpq does, so a
        /// server with a self-signed one (Debian's default, a managed database's own
        /// authority) is reached; `verify-ca` checks the chain, `verify-full` the host too.
        public enum TLSMode: String, Sendable {
            case disable, prefer, require
            case verifyCA = "verify-ca"
            case verifyFull = "verify-full"
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
        var rootCertificates = query["sslrootcert"].flatMap { $0.isEmpty ? nil : $0 }
        // libpq 16: `sslrootcert=system` is the system's authorities, and the host checked.
        let systemRoots = rootCertificates == "system"
        if systemRoots { rootCertificates = nil }
        let mode = query["sslmode"] ?? (systemRoots ? "verify-full" : "prefer")
        var tls: PostgresLocation.TLSMode
        switch mode {
        case "disable", "allow": tls = .disable
        default:
            guard let known = PostgresLocation.TLSMode(rawValue: mode) else {
                throw .unsupportedDatabase(
                    Self.redacted(url), reason: "sslmode '\(mode)' is not one of disable, prefer, require, verify-ca, verify-full"
                )
            }
            tls = known
        }
        if systemRoots, tls != .verifyFull {
            throw .unsupportedDatabase(Self.redacted(url), reason: "sslrootcert=system needs sslmode=verify-full (its default)")
        }
        if let rootCertificates {
            guard rootCertificates.hasPrefix("/") else {
                throw .unsupportedDatabase(Self.redacted(url), reason: "sslrootcert must be an absolute path")
            }
            // libpq: `require` with a root certificate file checks the chain, as verify-ca;
            // `prefer` and `disable` check nothing, with or without one.
            if tls == .require { tls = .verifyCA }
        }
        for key in query.keys where key != "sslmode" && key != "sslrootcert" {
            throw .unsupportedDatabase(Self.redacted(url), reason: "parameter '\(key)' is not supported (only sslmode and sslrootcert)")
        }
        self = .postgres(PostgresLocation(
            host: host, port: parts.port ?? 5432,
            user: parts.user.flatMap { $0.removingPercentEncoding } ?? "postgres",
            password: parts.password.flatMap { $0.removingPercentEncoding },
            database: database.removingPercentEncoding ?? database, tls: tls, rootCertificates: rootCertificates
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
