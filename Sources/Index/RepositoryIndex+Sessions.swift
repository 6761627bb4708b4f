/// The web UI's sign-ins. A session is a random 160-bit secret in a cookie; only its
/// SHA-256 is stored (as with access tokens, a slow hash would add nothing), beside a
/// second random value the pages put in their forms, so a post from another site, which
/// cannot read them, is refused.
extension RepositoryIndex {
    /// A signed-in browser.
    public struct WebSession: Sendable, Equatable {
        public var user: String
        /// The form token of this session's pages.
        public var csrf: String
        public var expiresAt: Int64
        /// ``credentialFingerprint(_:)`` of the password hash the user signed in with.
        public var credential: String
    }

    /// What a session remembers of the password hash it was signed in with: its SHA-256,
    /// so the table never holds the hash itself.
    public static func credentialFingerprint(_ passwordHash: String) -> String {
        hash(passwordHash)
    }

    /// How long a sign-in lasts.
    public static let sessionLifetime: Int64 = 14 * 86_400_000

    /// Signs `user` in; the cookie's secret (given once) and the session.
    /// - Parameter passwordHash: the hash the user's password matched, so a session ends when
    ///   it changes.
    public func createSession(for user: String, passwordHash: String) async throws -> (secret: String, session: WebSession) {
        let secret = Self.randomHex(40)
        let now = IndexClock.now()
        let session = WebSession(
            user: user, csrf: Self.randomHex(32), expiresAt: now + Self.sessionLifetime,
            credential: Self.credentialFingerprint(passwordHash)
        )
        // Lapsed sessions go as new ones come, so the table holds only live ones.
        try await database.execute("DELETE FROM web_sessions WHERE expires_at <= $1", [.integer(now)])
        try await database.execute(
            "INSERT INTO web_sessions (id_hash, username, csrf, created_at, expires_at, credential) VALUES ($1, $2, $3, $4, $5, $6)",
            [.text(Self.hash(secret)), .text(user), .text(session.csrf), .integer(now), .integer(session.expiresAt), .text(session.credential)]
        )
        return (secret, session)
    }

    /// The live session whose secret is `secret`; nil for none, or one that lapsed.
    public func session(_ secret: String) async throws -> WebSession? {
        guard secret.count == 40 else { return nil }
        guard let row = try await database.query(
            "SELECT username, csrf, expires_at, credential FROM web_sessions WHERE id_hash = $1", [.text(Self.hash(secret))]
        ).first else { return nil }
        let session = WebSession(
            user: row["username"].text ?? "", csrf: row["csrf"].text ?? "", expiresAt: row["expires_at"].integer ?? 0,
            credential: row["credential"].text ?? ""
        )
        return session.expiresAt > IndexClock.now() ? session : nil
    }

    /// Signs a browser out.
    public func deleteSession(_ secret: String) async throws {
        try await database.execute("DELETE FROM web_sessions WHERE id_hash = $1", [.text(Self.hash(secret))])
    }

    /// Signs `user` out of every browser.
    public func deleteSessions(of user: String) async throws {
        try await database.execute("DELETE FROM web_sessions WHERE username = $1", [.text(user)])
    }

    /// `count` random hex digits (4 bits each), from the system's generator.
    public static func randomHex(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in "0123456789abcdef".randomElement(using: &generator) ?? "0" })
    }
}
