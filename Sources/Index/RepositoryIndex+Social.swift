/// What people add to a repository: its description and overview, and comments.
extension RepositoryIndex {
    /// Sets what is given of `repository`'s description and overview; nil leaves a field
    /// as it is. The search document follows.
    public func describe(_ repository: String, description: String?, overview: String?) async throws {
        try await database.transaction { database in
            if let description {
                try await database.execute("UPDATE repositories SET description = $2 WHERE name = $1", [.text(repository), .text(description)])
            }
            if let overview {
                try await database.execute("UPDATE repositories SET overview = $2 WHERE name = $1", [.text(repository), .text(overview)])
            }
        }
        try await refreshSearchDocument(repository)
    }

    /// `repository`'s comments, oldest first, `limit` from `offset`, and how many there are.
    public func comments(_ repository: String, limit: Int, offset: Int) async throws -> (comments: [RepositoryComment], total: Int) {
        let total = try await database.query("SELECT COUNT(*) AS n FROM comments WHERE repository = $1", [.text(repository)]).first?["n"].integer ?? 0
        let rows = try await database.query(
            "SELECT id, repository, author, body, created_at, updated_at FROM comments WHERE repository = $1 ORDER BY id ASC LIMIT $2 OFFSET $3",
            [.text(repository), .integer(Int64(limit)), .integer(Int64(offset))]
        )
        return (rows.map(Self.comment), Int(total))
    }

    /// The comment `id` on `repository`, or nil: an id from another repository is not found.
    public func comment(_ id: Int64, on repository: String) async throws -> RepositoryComment? {
        try await database.query(
            "SELECT id, repository, author, body, created_at, updated_at FROM comments WHERE id = $1 AND repository = $2",
            [.integer(id), .text(repository)]
        ).first.map(Self.comment)
    }

    /// Adds `author`'s comment to `repository`; the stored comment, with its id.
    public func addComment(_ body: String, by author: String, on repository: String) async throws -> RepositoryComment {
        let now = IndexClock.now()
        let rows = try await database.query(
            "INSERT INTO comments (repository, author, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            [.text(repository), .text(author), .text(body), .integer(now)]
        )
        guard let id = rows.first?["id"].integer else { throw IndexError.database("no id for the new comment") }
        return RepositoryComment(id: id, repository: repository, author: author, body: body, createdAt: now, updatedAt: nil)
    }

    /// Replaces the text of comment `id`; the comment as it is now, or nil when it is gone.
    public func editComment(_ id: Int64, on repository: String, body: String) async throws -> RepositoryComment? {
        try await database.execute(
            "UPDATE comments SET body = $3, updated_at = $4 WHERE id = $1 AND repository = $2",
            [.integer(id), .text(repository), .text(body), .integer(IndexClock.now())]
        )
        return try await comment(id, on: repository)
    }

    /// Removes comment `id`.
    public func deleteComment(_ id: Int64, on repository: String) async throws {
        try await database.execute("DELETE FROM comments WHERE id = $1 AND repository = $2", [.integer(id), .text(repository)])
    }

    static func comment(_ row: IndexRow) -> RepositoryComment {
        RepositoryComment(
            id: row["id"].integer ?? 0, repository: row["repository"].text ?? "", author: row["author"].text ?? "",
            body: row["body"].text ?? "", createdAt: row["created_at"].integer ?? 0, updatedAt: row["updated_at"].integer
        )
    }
}
