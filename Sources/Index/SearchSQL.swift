/// Where a search's matches come from and how they are ranked, in one engine's SQL: what
/// ``RepositoryIndex/search(_:visible:limit:offset:broadAbove:)`` composes its statements
/// from. The text is fixed per engine (the words are bound as `$1`), so the statements a
/// search naming a few repositories runs are kept prepared (``Page``, ``Matches``,
/// ``Count``).
struct SearchSQL: Sendable {
    /// The matches with their rank as `d.rank`, joined to their repositories as `r`.
    let from: String
    /// Relevance, then popularity.
    let order: String
    /// Every match, counted, as `n`.
    let count: String
    /// Every match as `r`, for a search too broad to rank: the popularity index is walked
    /// and each repository looked up in the set of matches.
    let broadFrom: String

    /// What a search shows of each repository.
    static let select = "r.name, r.star_count, r.pull_count, r.description, r.pushed_at"
    /// Stars, then pulls: the columns they are kept in, so no match costs more than its row.
    static let popularity = "r.star_count DESC, r.pull_count DESC, r.name ASC"

    /// No words: every repository, by popularity.
    static let everything = SearchSQL(
        from: "repositories r", order: popularity, count: "SELECT COUNT(*) AS n FROM repositories", broadFrom: "repositories r"
    )

    /// FTS5, each word bound as a quoted prefix: user input never reaches its query syntax.
    static let sqlite = SearchSQL(
        from: """
            (SELECT repository, bm25(search_documents, 0.0, 10.0, 4.0, 1.0, 2.0) AS rank FROM search_documents
             WHERE search_documents MATCH $1) d JOIN repositories r ON r.name = d.repository
            """,
        order: "d.rank ASC, " + popularity,
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
            (SELECT repository, ts_rank(document, to_tsquery('simple', $1)) AS rank FROM search_documents
             WHERE document @@ to_tsquery('simple', $1)) d
            CROSS JOIN LATERAL (SELECT name, star_count, pull_count, description, pushed_at FROM repositories
             WHERE name = d.repository OFFSET 0) r
            """,
        order: "d.rank DESC, " + popularity,
        count: "SELECT COUNT(*) AS n FROM search_documents WHERE document @@ to_tsquery('simple', $1)",
        broadFrom: "repositories r WHERE r.name IN (SELECT repository FROM search_documents WHERE document @@ to_tsquery('simple', $1))"
    )

    /// The words' SQL on `engine`.
    static func words(_ engine: IndexEngine) -> SearchSQL {
        engine == .sqlite ? sqlite : postgres
    }

    /// A page of the matches of the words (`$1`) with the count of all of them, as
    /// `total`: one planning and one round trip for a search naming a few repositories
    /// (`$2` the page's size, `$3` its offset).
    enum Page: IndexStatement {
        static let name = "search_page"
        static let texts = Texts { "SELECT \(select), COUNT(*) OVER () AS total FROM \($0.from) ORDER BY \($0.order) LIMIT $2 OFFSET $3" }
        static func sql(for engine: IndexEngine) -> String { texts[engine] }
    }

    /// The first `$2` matches of the words (`$1`), for a caller who sees only some
    /// repositories: they are filtered before the page is cut.
    enum Matches: IndexStatement {
        static let name = "search_matches"
        static let texts = Texts { "SELECT \(select) FROM \($0.from) ORDER BY \($0.order) LIMIT $2" }
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
