import OCI

/// Personal access tokens: made, listed, revoked and checked. Only SHA-256 of a token is
/// stored: a token is 160 random bits, so a slow hash would add nothing but cost.
extension RepositoryIndex {
    /// Makes a token for `user`; the token itself (shown once) and its record.
    public func createToken(for user: String, name: String, scopes: [AccessToken.Scope], expiresAt: Int64?) async throws -> (token: String, record: AccessToken) {
        let token = AccessToken.prefix + Self.randomHex(AccessToken.secretLength)
        let record = AccessToken(id: Self.randomHex(16), user: user, name: name, scopes: scopes, createdAt: IndexClock.now(), expiresAt: expiresAt, lastUsedAt: nil)
        try await database.execute(
            "INSERT INTO access_tokens (id, username, name, token_hash, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [.text(record.id), .text(user), .text(name), .text(Self.hash(token)), .text(scopes.map(\.rawValue).joined(separator: ",")),
             .integer(record.createdAt), expiresAt.map(IndexValue.integer) ?? .null]
        )
        return (token, record)
    }

    /// `user`'s tokens, newest first.
    public func tokens(of user: String) async throws -> [AccessToken] {
        try await database.query(
            "SELECT id, username, name, scopes, created_at, expires_at, last_used_at FROM access_tokens WHERE username = $1 ORDER BY created_at DESC, id ASC",
            [.text(user)]
        ).map(Self.token)
    }

    /// Revokes `user`'s token `id`; false when they have no such token.
    public func revokeToken(_ id: String, of user: String) async throws -> Bool {
        try await !database.query("DELETE FROM access_tokens WHERE id = $1 AND username = $2 RETURNING id", [.text(id), .text(user)]).isEmpty
    }

    /// The token whose text is `token`, when it exists and has not expired.
    public func validToken(_ token: String) async throws -> AccessToken? {
        guard let record = try await database.query(
            "SELECT id, username, name, scopes, created_at, expires_at, last_used_at FROM access_tokens WHERE token_hash = $1",
            [.text(Self.hash(token))]
        ).first.map(Self.token) else { return nil }
        if let expiry = record.expiresAt, expiry <= IndexClock.now() { return nil }
        return record
    }

    /// Notes a use of token `id` (callers write this at most once a minute per token).
    public func noteTokenUse(_ id: String, at time: Int64) async throws {
        try await database.execute("UPDATE access_tokens SET last_used_at = $2 WHERE id = $1", [.text(id), .integer(time)])
    }

    static func hash(_ token: String) -> String {
        Digest.of(Array(token.utf8)).description
    }

    static func token(_ row: IndexRow) -> AccessToken {
        AccessToken(
            id: row["id"].text ?? "", user: row["username"].text ?? "", name: row["name"].text ?? "",
            scopes: (row["scopes"].text ?? "").split(separator: ",").compactMap { AccessToken.Scope(rawValue: String($0)) },
            createdAt: row["created_at"].integer ?? 0, expiresAt: row["expires_at"].integer, lastUsedAt: row["last_used_at"].integer
        )
    }
}
