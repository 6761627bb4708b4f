import NIOSSL
import Testing
@testable import Index

/// `index.database` as operators write it: libpq's URL form, with its password kept out of
/// every message.
@Suite struct IndexDatabaseLocationTests {
    @Test func aPostgresURLIsReadWithItsDefaultsAndEscapes() throws {
        let location = try IndexDatabaseLocation(url: "postgresql://pier:p%40ss@db.internal/registry")
        #expect(location == .postgres(.init(
            host: "db.internal", port: 5432, user: "pier", password: "p@ss", database: "registry", tls: .prefer, rootCertificates: nil
        )))
        #expect(location.description == "postgres://pier@db.internal:5432/registry")
    }

    @Test func sslModeFollowsLibpqNamesAndMeanings() throws {
        let cases: [(String, IndexDatabaseLocation.PostgresLocation.TLSMode, String?)] = [
            ("sslmode=disable", .disable, nil), ("sslmode=allow", .disable, nil), ("sslmode=require", .require, nil),
            ("sslmode=verify-ca", .verifyCA, nil), ("sslmode=verify-full", .verifyFull, nil),
            ("sslmode=verify-full&sslrootcert=/etc/pier/db-ca.pem", .verifyFull, "/etc/pier/db-ca.pem"),
            // libpq: `require` with a root certificate file checks the chain.
            ("sslmode=require&sslrootcert=/etc/pier/db-ca.pem", .verifyCA, "/etc/pier/db-ca.pem"),
            // …and `prefer` checks nothing, with one or without (psql accepts the pair).
            ("sslrootcert=/etc/pier/db-ca.pem", .prefer, "/etc/pier/db-ca.pem"),
            // libpq 16: the system's authorities, the host checked.
            ("sslrootcert=system", .verifyFull, nil),
        ]
        for (query, mode, roots) in cases {
            guard case .postgres(let p) = try IndexDatabaseLocation(url: "postgres://u@h:6432/d?\(query)") else {
                Issue.record("not postgres")
                return
            }
            #expect(p.tls == mode && p.rootCertificates == roots && p.port == 6432, "\(query)")
        }
    }

    @Test func onlyTheVerifyingModesCheckTheServersCertificate() throws {
        func verification(_ query: String) throws -> CertificateVerification? {
            guard case .postgres(let p) = try IndexDatabaseLocation(url: "postgres://u@h/d?\(query)") else { return nil }
            return PostgresIndexDatabase.tlsConfiguration(p).certificateVerification
        }
        #expect(try verification("sslmode=prefer") == CertificateVerification.none)
        #expect(try verification("sslmode=require") == CertificateVerification.none)
        #expect(try verification("sslmode=verify-ca") == .noHostnameVerification)
        #expect(try verification("sslmode=verify-full") == .fullVerification)
    }

    @Test(arguments: [
        "postgres://u:secret@h", "postgres://u:secret@/d", "postgres://u:secret@h/d?sslmode=sometimes",
        "postgres://u:secret@h/d?host=/run/postgresql", "mysql://u:secret@h/d", "sqlite://relative.db",
        "postgres://u:secret@h/d?sslmode=require&sslrootcert=system", "postgres://u:secret@h/d?sslmode=require&sslrootcert=ca.pem",
    ])
    func aWrongURLIsRefusedWithoutItsPassword(url: String) {
        #expect(throws: IndexError.self) { try IndexDatabaseLocation(url: url) }
        do {
            _ = try IndexDatabaseLocation(url: url)
        } catch {
            if url.hasPrefix("postgres") { #expect(!error.description.contains("secret")) }
        }
    }

    @Test func anSQLiteURLNamesAnAbsolutePath() throws {
        #expect(try IndexDatabaseLocation(url: "sqlite:///var/lib/pier/index.db") == .sqlite(path: "/var/lib/pier/index.db"))
    }
}
