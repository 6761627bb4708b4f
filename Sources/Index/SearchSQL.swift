/// Where a search's matches come from and how they are ranked, in one engine's SQL: what
/// ``RepositoryIndex/search(_:visible:limit:offset:broadAbove:)`` composes its statements
/// from. The text is fixed per engine (the words are bound as `$1`, the name query as
/// `$2`), so the statements a search naming a few repositories runs are kept prepared
/// (``Page``, ``Matches``, ``Count``).
///
/// Matches are ranked as Docker Hub ranks them, in ``tier``s by how the repository's name
/// answers the query, then by popularity inside a tier: a search for `nginx` shows
/// `alice/nginx` before `bob/nginx-proxy`, and both before a repository that only mentions
/// nginx in its description, whatever their overviews' lengths. Full-text relevance
/// (FTS5's `bm25`, PostgreSQL's `ts_rank`) ranked by the whole document's length instead,
/// so a long overview or many tags sank the repository the query named.
struct SearchSQL: Sendable {
    /// The matches, joined to their repositories as `r`.
    let from: String
    /// Tier, then popularity.
    let order: String
    /// How closely the name of a match (`r.name`) answers the name query (`$2`, see
    /// ``RepositoryIndex/nameQuery(_:)``: the query's words as the tokenizers cut them,
    /// joined by single spaces), alike on both engines:
    /// - 0, exact: the query is the name's last component (`nginx` for `alice/nginx`) or
    ///   the whole name (`alice/nginx`);
    /// - 1, prefix: a component starts with it (`bob/nginx-proxy`);
    /// - 2, in the name: its words start words of the name, in order (`carol/web-nginx`);
    /// - 3, elsewhere: the words are in the description, overview or tags only.
    ///
    /// `.`, `_` and `-` separate a name's words as the tokenizers read them, so `my-app` is
    /// as exact for `alice/my_app` as for `alice/my-app`. The name query holds only
    /// letters, digits and spaces, so none of its characters is a wildcard of `LIKE` or
    /// `GLOB`.
    ///
    /// What the tiers cost: no tier looks anything up. The matches are found by the
    /// full-text index alone, as before, and each one's tier is worked out on its name,
    /// in the repository's row the page reads anyway, by at most four string comparisons
    /// (an exact name is known after one or two, a prefix after three; a name holding the
    /// words, or one that does not, takes all four): about a microsecond a match (see
    /// ``sqliteTier``, ``postgresTier``), so a search still costs its matches, not the
    /// table. No tier reads a document, which `bm25` (each match's column sizes) and
    /// `ts_rank` (each match's whole `tsvector`, a 20 KB overview included) did. A search
    /// past ``RepositoryIndex/broadSearch`` matches works out the tiers of only the
    /// ``RepositoryIndex/broadSearchKept`` most popular it reads.
    let tier: String
    /// Every match, counted, as `n`.
    let count: String
    /// Every match as `r`, for a search too broad to rank whole: the popularity index is
    /// walked and each repository looked up in the set of matches.
    let broadFrom: String

    /// What a search shows of each repository.
    static let select = "r.name, r.star_count, r.pull_count, r.description, r.pushed_at"
    /// Stars, then pulls: the columns they are kept in, so no match costs more than its row.
    static let popularity = "r.star_count DESC, r.pull_count DESC, r.name ASC"

    /// ``tier`` on SQLite: `GLOB`s on the name as stored, each space of the name query a
    /// separator (`[/._-]` anywhere, `[._-]` inside a component). Over 10,000 names on a
    /// loaded 2-core machine, 0.7–1.6 µs a name, against 2.4–4.5 µs for
    /// ``postgresTier``'s `replace`s, which SQLite runs slowly. Both give every name the
    /// same tier for every query (checked on 2,566 generated names, 212 queries).
    static let sqliteTier = """
        CASE WHEN r.name GLOB replace($2, ' ', '[/._-]') OR '/' || r.name GLOB '*/' || replace($2, ' ', '[._-]') THEN 0
        WHEN '/' || r.name GLOB '*/' || replace($2, ' ', '[._-]') || '*' THEN 1
        WHEN '/' || r.name GLOB '*[/._-]' || replace($2, ' ', '*[/._-]') || '*' THEN 2
        ELSE 3 END
        """
    /// ``tier`` on PostgreSQL, which has no `GLOB` (its regular expressions took 2.4–4.8 µs
    /// a name): the name with `.`, `_` and `-` replaced by spaces (``nameComponents``),
    /// its `/` too (``nameWords``), compared by `LIKE`; about 1.1 µs a name.
    static let postgresTier = """
        CASE WHEN \(nameWords) = $2 OR \(nameComponents) LIKE '%/' || $2 THEN 0
        WHEN '/' || \(nameComponents) LIKE '%/' || $2 || '%' THEN 1
        WHEN ' ' || \(nameWords) LIKE '% ' || replace($2, ' ', '% ') || '%' THEN 2
        ELSE 3 END
        """
    /// The name with `.`, `_` and `-` as spaces and its `/` kept: its components, in words.
    static let nameComponents = "replace(replace(replace(r.name, '.', ' '), '_', ' '), '-', ' ')"
    /// The name in words: its `/` a space too.
    static let nameWords = "replace(\(nameComponents), '/', ' ')"

    /// No words: every repository, by popularity.
    static let everything = SearchSQL(
        from: "repositories r", order: popularity, tier: "", count: "SELECT COUNT(*) AS n FROM repositories", broadFrom: "repositories r"
    )

    /// FTS5, each word bound as a quoted prefix: user input never reaches its query syntax.
    static let sqlite = SearchSQL(
        from: """
            (SELECT repository FROM search_documents WHERE search_documents MATCH $1) d JOIN repositories r ON r.name = d.repository
            """,
        order: sqliteTier + ", " + popularity,
        tier: sqliteTier,
        count: "SELECT COUNT(*) AS n FROM search_documents WHERE search_documents MATCH $1",
        // `+s.id`: the set of matches is built once and looked up per row; as an index
        // constraint SQLite would walk the whole set for every row (60 ms against 2 for
        // 10,000 matches).
        broadFrom: """
            repositories r JOIN search_ids s ON s.repository = r.name
            WHERE +s.id IN (SELECT rowid FROM search_documents WHERE search_documents MATCH $1)
            """
    )

    /// PostgreSQL's full text, each word bound as a prefix of a `tsquery`. Each match's
    /// repository is looked up by its key: `OFFSET 0` keeps the planner from making the
    /// look-up a join, which with PostgreSQL's default `random_page_cost` and its fixed
    /// guess of 200 matches for a prefix reads the whole table into a hash (1.6 ms against
    /// 0.03 for a search naming one of 10,000 repositories). Lowering the setting for
    /// Pier's sessions did the same, as a startup parameter PgBouncer refuses.
    static let postgres = SearchSQL(
        from: """
            (SELECT repository FROM search_documents WHERE document @@ to_tsquery('simple', $1)) d
            CROSS JOIN LATERAL (SELECT name, star_count, pull_count, description, pushed_at FROM repositories
             WHERE name = d.repository OFFSET 0) r
            """,
        order: postgresTier + ", " + popularity,
        tier: postgresTier,
        count: "SELECT COUNT(*) AS n FROM search_documents WHERE document @@ to_tsquery('simple', $1)",
        broadFrom: "repositories r WHERE r.name IN (SELECT repository FROM search_documents WHERE document @@ to_tsquery('simple', $1))"
    )

    /// The words' SQL on `engine`.
    static func words(_ engine: IndexEngine) -> SearchSQL {
        engine == .sqlite ? sqlite : postgres
    }

    /// A page of the matches of the words (`$1`, the name query `$2`) with the count of
    /// all of them, as `total`: one planning and one round trip for a search naming a few
    /// repositories (`$3` the page's size, `$4` its offset).
    enum Page: IndexStatement {
        static let name = "search_page"
        static let texts = Texts { "SELECT \(select), COUNT(*) OVER () AS total FROM \($0.from) ORDER BY \($0.order) LIMIT $3 OFFSET $4" }
        static func sql(for engine: IndexEngine) -> String { texts[engine] }
    }

    /// The first `$3` matches of the words (`$1`, the name query `$2`), for a caller who
    /// sees only some repositories: they are filtered before the page is cut.
    enum Matches: IndexStatement {
        static let name = "search_matches"
        static let texts = Texts { "SELECT \(select) FROM \($0.from) ORDER BY \($0.order) LIMIT $3" }
        static func sql(for engine: IndexEngine) -> String { texts[engine] }
    }

    /// How many repositories the words (`$1`) match.
    enum Count: IndexStatement {
        static let name = "search_count"
        static func sql(for engine: IndexEngine) -> String { words(engine).count }
    }

    /// A statement composed from each engine's SQL once, not per request.
    struct Texts: Sendable {
        let sqlite: String
        let postgres: String

        init(_ compose: (SearchSQL) -> String) {
            sqlite = compose(.sqlite)
            postgres = compose(.postgres)
        }

        subscript(engine: IndexEngine) -> String { engine == .sqlite ? sqlite : postgres }
    }
}
