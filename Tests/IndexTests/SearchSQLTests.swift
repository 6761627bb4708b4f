import Testing
@testable import Index

/// The search's statements as PostgreSQL keeps them prepared.
@Suite struct SearchSQLTests {
    let statements: [any IndexStatement.Type] = [SearchSQL.Page.self, SearchSQL.Matches.self, SearchSQL.Count.self]

    @Test func preparedNamesAreShortDistinctAndFollowTheText() {
        let names = statements.map { PostgresIndexDatabase.preparedName($0.name, sql: $0.sql(for: .postgres)) }
        // PostgreSQL cuts a name at 63 bytes: two cut alike would be one statement.
        #expect(names.allSatisfy { $0.utf8.count <= 63 })
        #expect(Set(names).count == names.count)
        // Another version's text is another name, so a pooled server connection prepared
        // by an older instance never runs the wrong text under it.
        let page = SearchSQL.Page.sql(for: .postgres)
        #expect(PostgresIndexDatabase.preparedName("search_page", sql: page) != PostgresIndexDatabase.preparedName("search_page", sql: page + " "))
        #expect(PostgresIndexDatabase.preparedName("search_page", sql: page) == PostgresIndexDatabase.preparedName("search_page", sql: page))
    }

    @Test func theWordsAreTheFirstPlaceholderAndTheNameQueryTheSecondOnBothEngines() {
        for engine in [IndexEngine.sqlite, .postgres] {
            #expect(SearchSQL.Page.sql(for: engine).hasSuffix("LIMIT $3 OFFSET $4"))
            #expect(SearchSQL.Matches.sql(for: engine).hasSuffix("LIMIT $3"))
            for statement in statements { #expect(statement.sql(for: engine).contains("$1")) }
            // The count binds the words alone.
            #expect(!SearchSQL.Count.sql(for: engine).contains("$2"))
        }
    }

    /// Both engines order by their tier of the name, then popularity, and by no
    /// full-text rank (which a long overview or many tags lowered).
    @Test func bothEnginesOrderByTheNamesTierThenPopularityAndNoFullTextRank() {
        for engine in [IndexEngine.sqlite, .postgres] {
            let tier = SearchSQL.words(engine).tier
            #expect(tier.contains("$2") && !tier.contains("$1"))
            for sql in [SearchSQL.Page.sql(for: engine), SearchSQL.Matches.sql(for: engine)] {
                #expect(sql.contains("ORDER BY \(tier), \(SearchSQL.popularity) LIMIT"))
                #expect(!sql.contains("bm25") && !sql.contains("ts_rank"))
            }
        }
    }

    /// PostgreSQL's parser keeps `my-app`, `12.x` or `app.v2` whole where FTS5 cuts them:
    /// the query cuts each word at `.`, `_` and `-` into the phrase of its parts (the
    /// documents are cut alike), and SQLite's quoted words are cut by FTS5 itself.
    @Test func aWordIsThePhraseOfItsPartsOnPostgreSQLAndAQuotedPrefixOnSQLite() {
        #expect(RepositoryIndex.fullTextQuery(["my-app", "12.x", "v2"], engine: .postgres) == "my <-> app:* & 12 <-> x:* & v2:*")
        #expect(RepositoryIndex.fullTextQuery(["my_app"], engine: .postgres) == "my <-> app:*")
        #expect(RepositoryIndex.fullTextQuery(["my-app", "v2"], engine: .sqlite) == #""my-app"* AND "v2"*"#)
    }
}
