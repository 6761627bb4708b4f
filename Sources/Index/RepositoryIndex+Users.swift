import OCI

/// Users an administrator makes through the API. They log in wherever the htpasswd file's
/// users do (the registry, the token server, the API), through ``IndexAccounts``; the file
/// stays the place of the users it names.
extension RepositoryIndex {
    static let accountsVersionKey = "users_version"

    /// Why `name` cannot be a new user, or nil when it can: a user's name is a namespace
    /// (their repositories live under `name/`), so it has a namespace's shape, and it is
    /// nobody's already, neither a user's nor an organisation's, nor holds repositories (a
    /// deleted user's, which a new user of the name would otherwise own).
    ///
    /// The shape is one component of a repository name (``RepositoryName/isComponent(_:)``):
    /// `٣٣` or `a..b` would pass a Unicode letter-or-digit test and hold no repository.
    public func userRefusal(_ name: String) async throws -> NamespaceRefusal? {
        guard name.utf8.count <= 64, RepositoryName.isComponent(name) else {
            return .malformed(
                "a user's name is a namespace: lowercase letters (a-z) and digits, joined by one . or _, two _ or any number of -, "
                    + "at most 64 characters"
            )
        }
        if try await user(name) != nil { return .taken("\(name) exists") }
        if try await organization(name) != nil { return .taken("\(name) is an organisation") }
        if try await namespaceHoldsRepositories(name) {
            return .taken("the namespace \(name) still holds repositories (a former user's?): delete them first")
        }
        return nil
    }

    /// Makes user `name` with the bcrypt hash `passwordHash`; false when the name was taken
    /// meanwhile.
    public func createUser(_ name: String, passwordHash: String, by creator: String) async throws -> Bool {
        let rows = try await database.query(
            "INSERT INTO users (name, password_hash, created_at, created_by) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING name",
            [.text(name), .text(passwordHash), .integer(IndexClock.now()), .text(creator)]
        )
        try await accountsChanged()
        return !rows.isEmpty
    }

    /// Every user made through the API, by name.
    public func users() async throws -> [IndexUser] {
        try await database.query("SELECT name, created_at, created_by, disabled_at FROM users ORDER BY name", []).map(Self.user)
    }

    /// The API-made user `name`, or nil.
    public func user(_ name: String) async throws -> IndexUser? {
        try await database.query("SELECT name, created_at, created_by, disabled_at FROM users WHERE name = $1", [.text(name)]).first.map(Self.user)
    }

    /// Disables or re-enables `name`; false when there is no such user. A disabled user's
    /// passwords and tokens stop working at once (on every instance within a second).
    public func setUserDisabled(_ name: String, _ disabled: Bool) async throws -> Bool {
        let rows = try await database.query(
            "UPDATE users SET disabled_at = $2 WHERE name = $1 RETURNING name",
            [.text(name), disabled ? .integer(IndexClock.now()) : .null]
        )
        // Signed out everywhere: enabling the account again gives no old session back.
        try await deleteSessions(of: name)
        try await accountsChanged()
        return !rows.isEmpty
    }

    /// Gives `name` a new password (as its bcrypt hash); false when there is no such user.
    public func setUserPassword(_ name: String, passwordHash: String) async throws -> Bool {
        let rows = try await database.query(
            "UPDATE users SET password_hash = $2 WHERE name = $1 RETURNING name", [.text(name), .text(passwordHash)]
        )
        // A new password ends every sign-in made with the old one (a stolen cookie included).
        try await deleteSessions(of: name)
        try await accountsChanged()
        return !rows.isEmpty
    }

    /// Removes user `name` with everything their name holds (``eraseAccount(_:in:)``), so a
    /// new user of the same name inherits none of it; false when there is no such user.
    public func deleteUser(_ name: String) async throws -> Bool {
        let deleted = try await database.transaction { database in
            let rows = try await database.query("DELETE FROM users WHERE name = $1 RETURNING name", [.text(name)])
            guard !rows.isEmpty else { return false }
            try await Self.eraseAccount(name, in: database)
            return true
        }
        try await accountsChanged()
        if deleted, grants != nil {
            try await loadGrants()
            try await bumpGrantsVersion()
        }
        return deleted
    }

    /// Forgets everything `names` held as accounts (``eraseAccount(_:in:)``). For users who
    /// left the htpasswd file; the index's own users go through ``deleteUser(_:)``.
    /// - Parameter recording: `index_state` values written in the same transaction (what the
    ///   sweep that decided it remembers), so either all of it holds or none.
    public func forgetAccounts(_ names: [String], recording: [(key: String, value: String)] = []) async throws {
        try await database.transaction { database in
            for name in names { try await Self.eraseAccount(name, in: database) }
            for (key, value) in recording {
                try await database.execute(
                    "INSERT INTO index_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [.text(key), .text(value)]
                )
            }
        }
        guard !names.isEmpty else { return }
        if grants != nil {
            try await loadGrants()
            try await bumpGrantsVersion()
        }
    }

    /// Deletes what the name `name` holds: tokens, sessions, collaborations, team places,
    /// and what it wrote and marked: comments (which a later user of the name could
    /// otherwise edit as their own) and stars (which would show as theirs), counts kept.
    static func eraseAccount(_ name: String, in database: any IndexDatabase) async throws {
        for table in ["access_tokens", "web_sessions", "collaborators", "team_members", "comments"] {
            let column = table == "comments" ? "author" : "username"
            try await database.execute("DELETE FROM \(table) WHERE \(column) = $1", [.text(name)])
        }
        try await database.execute(
            "UPDATE repositories SET star_count = star_count - 1 WHERE name IN (SELECT repository FROM stars WHERE username = $1)",
            [.text(name)]
        )
        try await database.execute("DELETE FROM stars WHERE username = $1", [.text(name)])
    }

    /// Reads the active users' hashes into ``accounts``. Loads run one at a time, so an
    /// older read never replaces a newer one.
    func loadAccounts() async throws {
        await accountsLoading.lock()
        defer { accountsLoading.unlock() }
        let version = try await state(Self.accountsVersionKey) ?? ""
        var hashes = [String: String]()
        for row in try await database.query("SELECT name, password_hash FROM users WHERE disabled_at IS NULL", []) {
            if let name = row["name"].text, let hash = row["password_hash"].text { hashes[name] = hash }
        }
        accounts.replaceAll(hashes)
        accountsVersion.withLock { $0 = version }
    }

    /// Reloads ``accounts`` when another instance changed the users since the last read.
    public func refreshAccountsIfChanged() async {
        guard database.engine == .postgres else { return }
        do {
            let version = try await state(Self.accountsVersionKey) ?? ""
            guard version != accountsVersion.withLock({ $0 }) else { return }
            try await loadAccounts()
        } catch {
            logger.warning("index could not reload its users", metadata: ["error": "\(error)"])
        }
    }

    /// After a change to the users: tells the other instances, then reloads this one's.
    private func accountsChanged() async throws {
        if database.engine == .postgres {
            try await setState(Self.accountsVersionKey, String(UInt64.random(in: 1...UInt64.max), radix: 36))
        }
        try await loadAccounts()
    }

    static func user(_ row: IndexRow) -> IndexUser {
        IndexUser(
            name: row["name"].text ?? "", createdAt: row["created_at"].integer ?? 0,
            createdBy: row["created_by"].text ?? "", disabledAt: row["disabled_at"].integer
        )
    }
}
