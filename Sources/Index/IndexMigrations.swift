/// The index's schema, as forward-only steps: each runs once, in order, in a transaction,
/// and its number is recorded, so any older database is brought up to date on start and a
/// newer one is refused rather than misread.
enum IndexMigrations {
    struct Step: Sendable {
        var version: Int
        var statements: @Sendable (IndexEngine) -> [String]
    }

    static let steps: [Step] = [
        Step(version: 1) { engine in
            [
                """
                CREATE TABLE repositories (
                    name TEXT PRIMARY KEY,
                    description TEXT NOT NULL DEFAULT '',
                    overview TEXT NOT NULL DEFAULT '',
                    created_at BIGINT NOT NULL,
                    pushed_at BIGINT,
                    pull_count BIGINT NOT NULL DEFAULT 0,
                    last_pulled_at BIGINT
                )
                """,
                """
                CREATE TABLE tags (
                    repository TEXT NOT NULL REFERENCES repositories(name) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    media_type TEXT NOT NULL DEFAULT '',
                    size BIGINT NOT NULL DEFAULT 0,
                    platforms TEXT NOT NULL DEFAULT '',
                    pushed_at BIGINT NOT NULL,
                    pusher TEXT NOT NULL DEFAULT '',
                    last_pulled_at BIGINT,
                    PRIMARY KEY (repository, name)
                )
                """,
                "CREATE INDEX tags_by_digest ON tags (repository, digest)",
                """
                CREATE TABLE stars (
                    username TEXT NOT NULL,
                    repository TEXT NOT NULL REFERENCES repositories(name) ON DELETE CASCADE,
                    starred_at BIGINT NOT NULL,
                    PRIMARY KEY (username, repository)
                )
                """,
                "CREATE INDEX stars_by_repository ON stars (repository)",
                "CREATE TABLE index_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                engine == .sqlite
                    ? "CREATE VIRTUAL TABLE search_documents USING fts5(repository UNINDEXED, name, description, overview, tags, tokenize = 'unicode61')"
                    : "CREATE TABLE search_documents (repository TEXT PRIMARY KEY, name TEXT, description TEXT, overview TEXT, tags TEXT, document TSVECTOR)",
            ] + (engine == .postgres ? ["CREATE INDEX search_documents_by_document ON search_documents USING GIN (document)"] : [])
        },
        // Comments: what users say about a repository, in Markdown, kept as written.
        Step(version: 2) { engine in
            [
                """
                CREATE TABLE comments (
                    id \(engine == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
                    repository TEXT NOT NULL REFERENCES repositories(name) ON DELETE CASCADE,
                    author TEXT NOT NULL,
                    body TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT
                )
                """,
                "CREATE INDEX comments_by_repository ON comments (repository, id)",
            ]
        },
        // Privacy: a repository's visibility (NULL: the configured default) and who else
        // may use it.
        Step(version: 3) { _ in
            [
                "ALTER TABLE repositories ADD COLUMN visibility TEXT",
                """
                CREATE TABLE collaborators (
                    repository TEXT NOT NULL REFERENCES repositories(name) ON DELETE CASCADE,
                    username TEXT NOT NULL,
                    role TEXT NOT NULL,
                    granted_at BIGINT NOT NULL,
                    granted_by TEXT NOT NULL DEFAULT '',
                    PRIMARY KEY (repository, username)
                )
                """,
            ]
        },
        // Personal access tokens: only a hash of each is kept; the token is shown once.
        Step(version: 4) { _ in
            [
                """
                CREATE TABLE access_tokens (
                    id TEXT PRIMARY KEY,
                    username TEXT NOT NULL,
                    name TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    scopes TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT,
                    last_used_at BIGINT
                )
                """,
                "CREATE INDEX access_tokens_by_user ON access_tokens (username, created_at)",
            ]
        },
        // Webhooks (of a repository, or of an organisation: every repository in it) and
        // every attempt to deliver to them.
        Step(version: 5) { _ in
            [
                """
                CREATE TABLE webhooks (
                    id TEXT PRIMARY KEY,
                    scope TEXT NOT NULL,
                    target TEXT NOT NULL,
                    url TEXT NOT NULL,
                    events TEXT NOT NULL,
                    format TEXT NOT NULL,
                    secret TEXT NOT NULL DEFAULT '',
                    active INTEGER NOT NULL DEFAULT 1,
                    created_at BIGINT NOT NULL,
                    created_by TEXT NOT NULL DEFAULT ''
                )
                """,
                "CREATE INDEX webhooks_by_target ON webhooks (scope, target)",
                """
                CREATE TABLE webhook_deliveries (
                    id TEXT PRIMARY KEY,
                    webhook TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
                    event_id TEXT NOT NULL,
                    event TEXT NOT NULL,
                    job TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    delivered_at BIGINT NOT NULL,
                    status INTEGER NOT NULL,
                    duration_ms BIGINT NOT NULL,
                    error TEXT NOT NULL DEFAULT '',
                    request_excerpt TEXT NOT NULL DEFAULT '',
                    response_excerpt TEXT NOT NULL DEFAULT '',
                    redelivery_of TEXT
                )
                """,
                "CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook, delivered_at)",
            ]
        },
        // Organisations: a namespace that belongs to teams, not to one user.
        Step(version: 6) { _ in
            [
                "CREATE TABLE organizations (name TEXT PRIMARY KEY, created_at BIGINT NOT NULL, created_by TEXT NOT NULL DEFAULT '')",
                """
                CREATE TABLE teams (
                    organization TEXT NOT NULL REFERENCES organizations(name) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    permission TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (organization, name)
                )
                """,
                """
                CREATE TABLE team_members (
                    organization TEXT NOT NULL,
                    team TEXT NOT NULL,
                    username TEXT NOT NULL,
                    added_at BIGINT NOT NULL,
                    PRIMARY KEY (organization, team, username),
                    FOREIGN KEY (organization, team) REFERENCES teams(organization, name) ON DELETE CASCADE
                )
                """,
                "CREATE INDEX team_members_by_user ON team_members (username)",
            ]
        },
        // Stars counted where search sorts: a search matching every repository orders
        // them by stars without counting each one's stars.
        Step(version: 7) { _ in
            [
                "ALTER TABLE repositories ADD COLUMN star_count BIGINT NOT NULL DEFAULT 0",
                "UPDATE repositories SET star_count = (SELECT COUNT(*) FROM stars s WHERE s.repository = repositories.name)",
                "CREATE INDEX repositories_by_popularity ON repositories (star_count DESC, pull_count DESC, name)",
            ]
        },
        // SQLite: each repository's search document under a stable number of its own, so a
        // document is replaced by its number (not by scanning the full-text table for its
        // name) and a broad search is a set of numbers, read without the documents.
        Step(version: 8) { engine in
            guard engine == .sqlite else { return [] }
            return [
                "CREATE TABLE search_ids (id INTEGER PRIMARY KEY, repository TEXT NOT NULL UNIQUE)",
                "INSERT INTO search_ids (repository) SELECT name FROM repositories ORDER BY name",
                "DELETE FROM search_documents",
                """
                INSERT INTO search_documents (rowid, repository, name, description, overview, tags)
                SELECT s.id, r.name, r.name || ' ' || replace(r.name, '/', ' '), r.description, r.overview,
                       COALESCE((SELECT group_concat(t.name, ' ') FROM tags t WHERE t.repository = r.name), '')
                FROM repositories r JOIN search_ids s ON s.repository = r.name
                """,
            ]
        },
        // Users an administrator makes through the API, beside the htpasswd file's: a
        // bcrypt hash as htpasswd holds it, and when (if ever) the account was disabled.
        Step(version: 9) { _ in
            [
                """
                CREATE TABLE users (
                    name TEXT PRIMARY KEY,
                    password_hash TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    created_by TEXT NOT NULL DEFAULT '',
                    disabled_at BIGINT
                )
                """,
            ]
        },
        // What a tag's image says of itself in its config: when it was built, its labels
        // (a JSON object). Filled for tags pushed from now on and by `pier index rebuild`.
        Step(version: 10) { _ in
            [
                "ALTER TABLE tags ADD COLUMN created_at BIGINT",
                "ALTER TABLE tags ADD COLUMN labels TEXT NOT NULL DEFAULT '{}'",
            ]
        },
        // The web UI's sign-ins, kept here so any instance serves any session: SHA-256 of
        // the cookie's secret, the user, the form token that proves a post came from a page
        // of this session, and when it lapses.
        Step(version: 11) { _ in
            [
                """
                CREATE TABLE web_sessions (
                    id_hash TEXT PRIMARY KEY,
                    username TEXT NOT NULL,
                    csrf TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX web_sessions_by_user ON web_sessions (username)",
            ]
        },
        // The home page's recently pushed repositories, read newest first without sorting
        // every repository.
        Step(version: 12) { _ in
            ["CREATE INDEX repositories_by_push ON repositories (pushed_at DESC, name)"]
        },
        // PostgreSQL: the full-text index takes each written document into its tree at once.
        // With GIN's default fast update, writes queue in a pending list that every search
        // reads whole until a vacuum merges it: after a rebuild of 10,000 repositories
        // (2,575 documents pending) a search naming one spent 0.8–1.0 ms there against
        // 0.015 ms in the tree. A push writes one document, so the slower write is nothing a
        // registry feels; a search is what every page and API call asks.
        Step(version: 13) { engine in
            guard engine == .postgres else { return [] }
            return [
                "ALTER INDEX search_documents_by_document SET (fastupdate = off)",
                "SELECT gin_clean_pending_list('search_documents_by_document'::regclass)",
            ]
        },
        // What a session was signed in with: SHA-256 of the user's password hash then, so a
        // new password (in the htpasswd file as in the index) ends every session made with
        // the old one. Sessions from before carry none and end once.
        Step(version: 14) { _ in
            ["ALTER TABLE web_sessions ADD COLUMN credential TEXT NOT NULL DEFAULT ''"]
        },
        // PostgreSQL: every search document again, its texts cut at `/ . _ -` as SQLite's
        // tokenizer cuts them (the parser kept `alice/app.v2` and `-12` of `node-12.x`
        // whole, so `v2` and `12.x` found them on SQLite only). Read from the texts the
        // table keeps beside each document; SQLite's documents are already cut so.
        // Without its index while the documents are rewritten (one index build afterwards
        // is far cheaper than a GIN insert per row), in the migration's long transaction.
        Step(version: 15) { engine in
            guard engine == .postgres else { return [] }
            return [
                "DROP INDEX IF EXISTS search_documents_by_document",
                """
                UPDATE search_documents SET document =
                    setweight(to_tsvector('simple', translate(COALESCE(name, ''), '/._-', '    ')), 'A')
                    || setweight(to_tsvector('simple', translate(COALESCE(description, ''), '/._-', '    ')), 'B')
                    || setweight(to_tsvector('simple', translate(COALESCE(tags, ''), '/._-', '    ')), 'C')
                    || setweight(to_tsvector('simple', translate(COALESCE(overview, ''), '/._-', '    ')), 'D')
                """,
                "CREATE INDEX search_documents_by_document ON search_documents USING GIN (document) WITH (fastupdate = off)",
            ]
        },
    ]

    /// The newest schema this build knows.
    static var latest: Int { steps.last?.version ?? 0 }

    /// Brings `database` up to ``latest``, all steps in one transaction. On PostgreSQL
    /// instances starting together take a lock first: one migrates, the others wait and
    /// find the work done.
    static func migrate(_ database: any IndexDatabase) async throws {
        try await database.unhurriedTransaction { database in
            if database.engine == .postgres {
                try await database.execute("SELECT pg_advisory_xact_lock(\(advisoryLock))")
            }
            // Looked for before it is made: PostgreSQL checks the right to create in the
            // schema even for a table that exists, and a role that may only read and write
            // rows (the schema migrated by its owner) must still open an index that is current.
            let present = try await database.query(migrationsTablePresent(database.engine), []).first?["present"].integer ?? 0
            if present == 0 {
                try await database.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)")
            }
            let current = try await database.query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations", [])
                .first?["version"].integer ?? 0
            guard current <= latest else { throw IndexError.schemaTooNew(found: Int(current), known: latest) }
            for step in steps where step.version > current {
                for statement in step.statements(database.engine) { try await database.execute(statement) }
                try await database.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [.integer(Int64(step.version)), .integer(IndexClock.now())])
            }
        }
    }

    /// A query whose `present` is 1 when the migrations table exists, 0 when not.
    static func migrationsTablePresent(_ engine: IndexEngine) -> String {
        switch engine {
        // In the schema a CREATE would make it in, not any on the search path (another
        // application's `schema_migrations` further along is not Pier's).
        case .postgres: "SELECT CASE WHEN to_regclass(quote_ident(current_schema()) || '.schema_migrations') IS NULL THEN 0 ELSE 1 END AS present"
        case .sqlite: "SELECT COUNT(*) AS present FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        }
    }

    /// The key of the migration lock: any number, fixed, that other applications sharing
    /// the database are unlikely to use.
    static let advisoryLock: Int64 = 0x5049_4552  // "PIER"
}
