import Testing
@testable import Index

/// `index.database` as operators write it: libpq's URL form, with its password kept out of
/// every message.
@Suite struct IndexDatabaseLocationTests {
    @Test func aPostgresURLIsReadWithItsDefaultsAndEscapes() throws {
        let location = try IndexDatabaseLocation(url: "postgresql://pier:p%40ss@db.internal/registry")
        #expect(location == .postgres(.init(host: "db.internal", port: 5432, user: "pier", password: "p@ss", database: "registry", tls: .prefer)))
        #expect(location.description == "postgres://pier@db.internal:5432/registry")
    }

    @Test func sslModeFollowsLibpqNames() throws {
        for (mode, expected) in [("disable", IndexDatabaseLocation.PostgresLocation.TLSMode.disable), ("require", .require), ("verify-full", .require)] {
            guard case .postgres(let p) = try IndexDatabaseLocation(url: "postgres://u@h:6432/d?sslmode=\(mode)") else {
                Issue.record("not postgres")
                return
            }
            #expect(p.tls == expected && p.port == 6432)
        }
    }

    @Test(arguments: [
        "postgres://u:secret@h", "postgres://u:secret@/d", "postgres://u:secret@h/d?sslmode=sometimes",
        "postgres://u:secret@h/d?host=/run/postgresql", "mysql://u:secret@h/d", "sqlite://relative.db",
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
