import Logging
import OCI
import Synchronization

/// The index: what the registry holds, made searchable and social. Repositories and tags
/// are derived from the registry's events (and can be rebuilt from storage); stars are
/// what only the index holds.
///
/// Every method is safe to call concurrently; the database serializes writes.
public final class RepositoryIndex: Sendable {
    public let database: any IndexDatabase
    /// The same database, counting its writes (what tells the search cache it is stale).
    let counter: WriteCountingDatabase
    /// Broad searches' matches, until the next write.
    let searchCache: SearchCache
    let logger: Logger
    /// The namespaces, visibility and collaborators the registry asks on every request
    /// (`index.namespaces`); nil when the index grants nothing.
    public let grants: NamespaceGrants?
    /// The version of the grants this instance last read (PostgreSQL: others change them).
    let grantsVersion = Mutex<String>("")
    /// The users made through the API, as logins check them.
    public let accounts = IndexAccounts()
    /// The version of the users this instance last read (PostgreSQL: others change them).
    let accountsVersion = Mutex<String>("")
    /// One load of ``accounts`` at a time.
    let accountsLoading = AsyncLock()

    /// Opens the index on `database`, bringing its schema up to date and loading `grants`.
    public init(database: any IndexDatabase, grants: NamespaceGrants? = nil, logger: Logger) async throws {
        let counter = WriteCountingDatabase(database)
        self.database = counter
        self.counter = counter
        // Other instances write to PostgreSQL unseen: what is kept there lives two seconds.
        self.searchCache = SearchCache(lifetime: database.engine == .postgres ? .seconds(2) : nil)
        self.logger = logger
        self.grants = grants
        try await IndexMigrations.migrate(database)
        if let grants {
            // `index.defaultvisibility` is what a *new* repository is, as Docker Hub's
            // default privacy: repositories made before it was written down per repository
            // keep what they are now, so changing the setting later publishes nothing.
            try await database.execute(
                "UPDATE repositories SET visibility = $1 WHERE visibility IS NULL", [.text(grants.defaultVisibility.rawValue)]
            )
        }
        try await loadGrants()
        try await loadAccounts()
    }

    // MARK: reading

    /// The repository `name`, or nil when the index does not know it.
    public func repository(_ name: String) async throws -> RepositorySummary? {
        let rows = try await database.query(
            """
            SELECT r.name, r.description, r.overview, r.created_at, r.pushed_at, r.pull_count, r.last_pulled_at,
                   r.star_count, (SELECT COUNT(*) FROM tags t WHERE t.repository = r.name) AS tag_count
            FROM repositories r WHERE r.name = $1
            """,
            [.text(name)]
        )
        return rows.first.map(Self.summary)
    }

    /// The tags of `name` in `order`, `limit` from `offset`.
    public func tags(_ name: String, order: TagSummary.Order, limit: Int, offset: Int) async throws -> [TagSummary] {
        let orderBy = switch order {
        case .pushed: "pushed_at DESC, name ASC"
        case .name: "name ASC"
        case .size: "size DESC, name ASC"
        }
        let rows = try await database.query(
            """
            SELECT \(Self.tagColumns) FROM tags WHERE repository = $1 ORDER BY \(orderBy) LIMIT $2 OFFSET $3
            """,
            [.text(name), .integer(Int64(limit)), .integer(Int64(offset))]
        )
        return rows.map(Self.tagSummary)
    }

    /// One tag of `repository`; nil when the index does not know it.
    public func tag(_ repository: String, _ name: String) async throws -> TagSummary? {
        let rows = try await database.query(
            """
            SELECT \(Self.tagColumns) FROM tags WHERE repository = $1 AND name = $2
            """,
            [.text(repository), .text(name)]
        )
        return rows.first.map(Self.tagSummary)
    }

    /// A tag of `repository` on `digest` (the first by name), nil when none is: a page of a
    /// manifest by digest shows the size the tag list shows for it.
    public func tag(_ repository: String, digest: String) async throws -> TagSummary? {
        let rows = try await database.query(
            "SELECT \(Self.tagColumns) FROM tags WHERE repository = $1 AND digest = $2 ORDER BY name ASC LIMIT 1",
            [.text(repository), .text(digest)]
        )
        return rows.first.map(Self.tagSummary)
    }

    /// What ``tagSummary(_:)`` reads of a row of `tags`.
    static let tagColumns = "name, digest, media_type, size, platforms, pushed_at, pusher, last_pulled_at, created_at, labels"

    static func tagSummary(_ row: IndexRow) -> TagSummary {
        TagSummary(
            name: row["name"].text ?? "",
            digest: row["digest"].text ?? "",
            mediaType: row["media_type"].text ?? "",
            size: row["size"].integer ?? 0,
            platforms: (row["platforms"].text ?? "").split(separator: ",").map(String.init),
            pushedAt: row["pushed_at"].integer ?? 0,
            pusher: row["pusher"].text ?? "",
            lastPulledAt: row["last_pulled_at"].integer,
            createdAt: row["created_at"].integer,
            labels: Self.labels(row["labels"].text)
        )
    }

    /// Repositories matching `query` that `visible` lets the caller see, best first: by
    /// how their names answer it (``SearchSQL/tier``), then stars, then pulls. An empty
    /// query lists every visible repository, by stars and pulls.
    /// - Parameter visible: nil when the caller sees everything: the database then pages
    ///   and counts itself, so a search costs the page, not the whole match.
    /// - Parameter broadAbove: matches past which only the most popular of them are read
    ///   and ranked (``broadSearchKept``).
    public func search(
        _ query: String, visible: (@Sendable (String) -> Bool)?, limit: Int, offset: Int, broadAbove: Int = RepositoryIndex.broadSearch
    ) async throws -> SearchResults {
        let terms = Self.searchTerms(query)
        let sql = terms.isEmpty ? SearchSQL.everything : SearchSQL.words(database.engine)
        let (select, popularity) = (SearchSQL.select, SearchSQL.popularity)
        // The words, for the full-text index (and the count); with the name query, for
        // ranking (`$2` of the ranked statements).
        let binds: [IndexValue] = terms.isEmpty ? [] : [.text(Self.fullTextQuery(terms, engine: database.engine))]
        let ranked = terms.isEmpty ? binds : binds + [.text(Self.nameQuery(terms))]
        let hit = Self.hit
        let n = binds.count
        // A broad search (a common word, or none): its most popular matches, ranked, kept
        // until the index is next written; pages and each caller's filter are cut from them.
        let key = terms.joined(separator: " ")
        let writes = counter.writes
        if let entry = searchCache.lookup(key, writes: writes), let page = Self.page(entry, visible: visible, limit: limit, offset: offset) {
            return page
        }
        func broad(total: Int) async throws -> SearchResults {
            if !terms.isEmpty { searchCache.markBroad(key) }
            // The most popular matches, each with its tier, which only names the rows read
            // cost; ordered by tier here, popularity kept inside each.
            let tier = terms.isEmpty ? "" : ", \(sql.tier) AS tier"
            let rows = try await database.query(
                "SELECT \(select)\(tier) FROM \(sql.broadFrom) ORDER BY \(popularity) LIMIT $\(ranked.count + 1)",
                ranked + [.integer(Int64(Self.broadSearchKept))]
            )
            let entry = SearchCache.Entry(writes: writes, madeAt: .now, hits: Self.tiered(rows), total: total)
            searchCache.store(key, entry)
            if let page = Self.page(entry, visible: visible, limit: limit, offset: offset) { return page }
            // Past the matches kept: that page is read alone, by popularity (the kept
            // matches are the most popular, so none of them is shown again there).
            let rows2 = try await database.query(
                "SELECT \(select) FROM \(sql.broadFrom) ORDER BY \(popularity) LIMIT $\(n + 1) OFFSET $\(n + 2)",
                binds + [.integer(Int64(limit)), .integer(Int64(offset))]
            )
            return SearchResults(hits: rows2.compactMap(hit), total: total)
        }
        func counted() async throws -> Int {
            let rows = terms.isEmpty ? try await database.query(sql.count, binds) : try await database.query(SearchSQL.Count.self, binds)
            return Int(rows.first?["n"].integer ?? 0)
        }
        if terms.isEmpty { return try await broad(total: try await counted()) }
        // A search found broad before is counted first (a millisecond), not ranked whole.
        if searchCache.isBroad(key) {
            let total = try await counted()
            if total > broadAbove { return try await broad(total: total) }
        }
        guard let visible else {
            // One statement for the page and the count of every match: a narrow search
            // costs one round trip, and one planning per connection (the count is a
            // separate statement only for a page past the last match).
            let rows = try await database.query(SearchSQL.Page.self, ranked + [.integer(Int64(limit)), .integer(Int64(offset))])
            var total = rows.first.map { Int($0["total"].integer ?? 0) } ?? 0
            if rows.isEmpty, offset > 0 { total = try await counted() }
            if total > broadAbove { return try await broad(total: total) }
            return SearchResults(hits: rows.compactMap(hit), total: total)
        }
        // Every match, to filter by what the caller may see, up to the point where the
        // search is broad.
        let rows = try await database.query(SearchSQL.Matches.self, ranked + [.integer(Int64(broadAbove + 1))])
        if rows.count > broadAbove { return try await broad(total: try await counted()) }
        let hits = rows.compactMap { row in hit(row).flatMap { visible($0.name) ? $0 : nil } }
        return SearchResults(hits: Array(hits.dropFirst(offset).prefix(limit)), total: hits.count)
    }

    /// Rows of a broad search, read by popularity, ordered by their `tier` (0 to 3, see
    /// ``SearchSQL/tier``), popularity kept inside each tier: a bucket per tier, so the
    /// order inside one is the database's. Rows without a tier (an empty query's) keep
    /// their order.
    static func tiered(_ rows: [IndexRow]) -> [SearchResults.Hit] {
        var tiers = [[SearchResults.Hit]](repeating: [], count: 4)
        for row in rows {
            guard let hit = hit(row) else { continue }
            tiers[Int(min(max(row["tier"].integer ?? 3, 0), 3))].append(hit)
        }
        return Array(tiers.joined())
    }

    static func hit(_ row: IndexRow) -> SearchResults.Hit? {
        guard let name = row["name"].text else { return nil }
        return .init(
            name: name, description: row["description"].text ?? "", starCount: row["star_count"].integer ?? 0,
            pullCount: row["pull_count"].integer ?? 0, pushedAt: row["pushed_at"].integer
        )
    }

    /// The repositories pushed to most recently that `visible` lets the caller see, newest
    /// first: what a registry's front page shows. A caller who sees only some is shown those
    /// among the latest 500 pushed.
    public func recentlyPushed(visible: (@Sendable (String) -> Bool)?, limit: Int) async throws -> [SearchResults.Hit] {
        let rows = try await database.query(
            """
            SELECT r.name, r.star_count, r.pull_count, r.description, r.pushed_at FROM repositories r
            WHERE r.pushed_at IS NOT NULL ORDER BY r.pushed_at DESC, r.name ASC LIMIT $1
            """,
            [.integer(Int64(visible == nil ? limit : max(limit, 500)))]
        )
        let hits = rows.compactMap(Self.hit)
        guard let visible else { return hits }
        return Array(hits.lazy.filter { visible($0.name) }.prefix(limit))
    }

    /// The repositories under `namespace/` that `visible` lets the caller see, most recently
    /// pushed first: a user's or an organisation's page. A caller who sees only some is
    /// shown those among the namespace's first 1,000.
    public func repositories(inNamespace namespace: String, visible: (@Sendable (String) -> Bool)?, limit: Int, offset: Int) async throws -> SearchResults {
        var pattern = ""
        for character in namespace {
            if character == "\\" || character == "%" || character == "_" { pattern.append("\\") }
            pattern.append(character)
        }
        let rows = try await database.query(
            """
            SELECT r.name, r.star_count, r.pull_count, r.description, r.pushed_at FROM repositories r
            WHERE r.name LIKE $1 ESCAPE '\\' ORDER BY COALESCE(r.pushed_at, 0) DESC, r.name ASC LIMIT $2
            """,
            [.text(pattern + "/%"), .integer(1000)]
        )
        let hits = rows.compactMap(Self.hit).filter { visible?($0.name) ?? true }
        return SearchResults(hits: Array(hits.dropFirst(offset).prefix(limit)), total: hits.count)
    }

    /// A page of a broad search from its kept matches; nil for a page past them (a caller
    /// who sees everything then reads it from the database). A caller who sees only some
    /// repositories is shown those among the kept matches.
    static func page(_ entry: SearchCache.Entry, visible: (@Sendable (String) -> Bool)?, limit: Int, offset: Int) -> SearchResults? {
        guard let visible else {
            guard offset + limit <= entry.hits.count || entry.hits.count == entry.total else { return nil }
            return SearchResults(hits: Array(entry.hits.dropFirst(offset).prefix(limit)), total: entry.total)
        }
        let hits = entry.hits.filter { visible($0.name) }
        return SearchResults(hits: Array(hits.dropFirst(offset).prefix(limit)), total: hits.count)
    }

    /// The most matches a broad search keeps (a caller who sees only some repositories is
    /// shown those among them).
    public static let broadSearchKept = 10_000

    /// Matches past which a search reads only its ``broadSearchKept`` most popular and
    /// ranks those (see ``search(_:visible:limit:offset:broadAbove:)``).
    public static let broadSearch = 500

    /// The words of a search, each reduced to letters, digits and `-_.` so nothing a user
    /// types is read as query syntax by either engine.
    static func searchTerms(_ query: String) -> [String] {
        query.lowercased()
            .split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") })
            .map(String.init)
            .filter { $0.contains(where: { $0.isLetter || $0.isNumber }) }
            .prefix(16)
            .map { $0 }
    }

    /// The parts of a word as both engines' full-text tokenizers cut a name: at `.`, `_`
    /// and `-` (`app.v2`: `app`, `v2`), leaving letters and digits only.
    static func parts(_ term: String) -> [Substring] {
        term.split(whereSeparator: { $0 == "." || $0 == "_" || $0 == "-" })
    }

    /// The words (``searchTerms(_:)``) as `engine`'s full-text query: every word, each a
    /// prefix. A word of several parts is their phrase, the last part a prefix: on SQLite
    /// a quoted string (FTS5 cuts it with the document's tokenizer); on PostgreSQL the
    /// parts joined by `<->`, since its parser keeps `app.v2`, `-12` or `alice/my_app`
    /// whole and the documents are written cut at the same characters (step 15).
    static func fullTextQuery(_ terms: [String], engine: IndexEngine) -> String {
        switch engine {
        case .sqlite:
            return terms.map { "\"\($0)\"*" }.joined(separator: " AND ")
        case .postgres:
            return terms.map { parts($0).joined(separator: " <-> ") + ":*" }.joined(separator: " & ")
        }
    }

    /// The query as ``SearchSQL/tier`` compares it with names: the words' parts joined by
    /// single spaces (`alice/my-app` → `alice my app`).
    static func nameQuery(_ terms: [String]) -> String {
        terms.flatMap { parts($0) }.joined(separator: " ")
    }

    /// The repositories `user` starred, newest first.
    public func starred(by user: String) async throws -> [String] {
        try await database.query("SELECT repository FROM stars WHERE username = $1 ORDER BY starred_at DESC, repository ASC", [.text(user)])
            .compactMap { $0["repository"].text }
    }

    /// Whether `user` starred `repository`.
    public func hasStarred(_ user: String, _ repository: String) async throws -> Bool {
        try await !database.query("SELECT 1 AS one FROM stars WHERE username = $1 AND repository = $2", [.text(user), .text(repository)]).isEmpty
    }

    // MARK: what only the index holds

    /// Stars `repository` for `user`; starring twice is starring once.
    public func star(_ repository: String, by user: String) async throws {
        try await database.transaction { database in
            let added = try await database.query(
                "INSERT INTO stars (username, repository, starred_at) VALUES ($1, $2, $3) ON CONFLICT (username, repository) DO NOTHING RETURNING username",
                [.text(user), .text(repository), .integer(IndexClock.now())]
            )
            guard !added.isEmpty else { return }
            try await database.execute("UPDATE repositories SET star_count = star_count + 1 WHERE name = $1", [.text(repository)])
        }
    }

    /// Takes `user`'s star off `repository`.
    public func unstar(_ repository: String, by user: String) async throws {
        try await database.transaction { database in
            let removed = try await database.query(
                "DELETE FROM stars WHERE username = $1 AND repository = $2 RETURNING username", [.text(user), .text(repository)]
            )
            guard !removed.isEmpty else { return }
            try await database.execute("UPDATE repositories SET star_count = star_count - 1 WHERE name = $1", [.text(repository)])
        }
    }

    // MARK: state

    /// A value the index keeps about itself (whether it shut down cleanly, say).
    func state(_ key: String) async throws -> String? {
        try await database.query("SELECT value FROM index_state WHERE key = $1", [.text(key)]).first?["value"].text
    }

    func setState(_ key: String, _ value: String) async throws {
        try await database.execute(
            "INSERT INTO index_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [.text(key), .text(value)]
        )
    }

    /// Changes a value only if its key is there: a late write cannot bring back a key
    /// removed meanwhile (a run's heartbeat after its clean stop).
    func updateState(_ key: String, _ value: String) async throws {
        try await database.execute("UPDATE index_state SET value = $2 WHERE key = $1", [.text(key), .text(value)])
    }

    /// The values whose keys start with `prefix` (a prefix without `%` or `_`).
    func states(prefix: String) async throws -> [(key: String, value: String)] {
        try await database.query("SELECT key, value FROM index_state WHERE key LIKE $1", [.text(prefix + "%")]).compactMap { row in
            guard let key = row["key"].text, let value = row["value"].text, key.hasPrefix(prefix) else { return nil }
            return (key, value)
        }
    }

    func removeState(_ key: String) async throws {
        try await database.execute("DELETE FROM index_state WHERE key = $1", [.text(key)])
    }

    static func summary(_ row: IndexRow) -> RepositorySummary {
        RepositorySummary(
            name: row["name"].text ?? "",
            description: row["description"].text ?? "",
            overview: row["overview"].text ?? "",
            createdAt: row["created_at"].integer ?? 0,
            pushedAt: row["pushed_at"].integer,
            pullCount: row["pull_count"].integer ?? 0,
            lastPulledAt: row["last_pulled_at"].integer,
            starCount: row["star_count"].integer ?? 0,
            tagCount: row["tag_count"].integer ?? 0
        )
    }
}
