/// Visibility and collaborators: stored in the database, mirrored in ``NamespaceGrants``
/// for the registry's hot paths. Every change also writes a new `grants_version`, which
/// other instances on the same PostgreSQL read once a second to reload.
extension RepositoryIndex {
    static let grantsVersionKey = "grants_version"

    /// Reads every repository's visibility and collaborators into ``grants``.
    func loadGrants() async throws {
        guard let grants else { return }
        // A change made in memory while the tables were read would be undone by what was
        // read: read again then (changes are rare; a few tries always settle).
        for _ in 0..<5 {
            let generation = grants.generation
            let (version, entries, organizations) = try await readGrants()
            if grants.replaceAll(entries, organizations: organizations, readAt: generation) {
                grantsVersion.withLock { $0 = version }
                return
            }
        }
        throw IndexError.database("visibility and collaborators kept changing while they were read")
    }

    private func readGrants() async throws -> (String, [String: NamespaceGrants.Entry], [String: [String: NamespaceGrants.Role]]) {
        let version = try await state(Self.grantsVersionKey) ?? ""
        var entries = [String: NamespaceGrants.Entry]()
        for row in try await database.query("SELECT name, visibility FROM repositories", []) {
            guard let name = row["name"].text else { continue }
            entries[name] = .init(visibility: row["visibility"].text.flatMap(NamespaceGrants.Visibility.init(rawValue:)))
        }
        for row in try await database.query("SELECT repository, username, role FROM collaborators", []) {
            guard let name = row["repository"].text, let user = row["username"].text,
                  let role = row["role"].text.flatMap(NamespaceGrants.Role.init(rawValue:)) else { continue }
            entries[name, default: .init()].collaborators[user] = role
        }
        var organizations = [String: [String: NamespaceGrants.Role]]()
        for row in try await database.query("SELECT name FROM organizations", []) {
            if let name = row["name"].text { organizations[name] = [:] }
        }
        let memberships = try await database.query(
            "SELECT m.organization, m.username, t.permission FROM team_members m JOIN teams t ON t.organization = m.organization AND t.name = m.team", []
        )
        for row in memberships {
            guard let organization = row["organization"].text, let user = row["username"].text,
                  let role = row["permission"].text.flatMap(NamespaceGrants.Role.init(rawValue:)) else { continue }
            let current = organizations[organization]?[user]
            organizations[organization, default: [:]][user] = Self.stronger(current, role)
        }
        return (version, entries, organizations)
    }

    /// Reloads ``grants`` when another instance changed them since the last read; what
    /// keeps several instances on one PostgreSQL in step (about a second apart at most).
    public func refreshGrantsIfChanged() async {
        guard grants != nil, database.engine == .postgres else { return }
        do {
            let version = try await state(Self.grantsVersionKey) ?? ""
            guard version != grantsVersion.withLock({ $0 }) else { return }
            try await loadGrants()
        } catch {
            logger.warning("index could not reload visibility and collaborators", metadata: ["error": "\(error)"])
        }
    }

    static func stronger(_ a: NamespaceGrants.Role?, _ b: NamespaceGrants.Role) -> NamespaceGrants.Role {
        let order: [NamespaceGrants.Role] = [.read, .write, .admin]
        guard let a, let ia = order.firstIndex(of: a), let ib = order.firstIndex(of: b) else { return b }
        return ia >= ib ? a : b
    }

    /// Marks the grants changed for the other instances (on SQLite there are none).
    func bumpGrantsVersion() async throws {
        guard database.engine == .postgres else { return }
        let version = String(UInt64.random(in: 1...UInt64.max), radix: 36)
        try await setState(Self.grantsVersionKey, version)
        grantsVersion.withLock { $0 = version }
    }

    /// Makes `repository` public or private.
    public func setVisibility(_ repository: String, _ visibility: NamespaceGrants.Visibility) async throws {
        try await database.execute("UPDATE repositories SET visibility = $2 WHERE name = $1", [.text(repository), .text(visibility.rawValue)])
        grants?.update(repository) { $0.visibility = visibility }
        try await bumpGrantsVersion()
    }

    /// The collaborators of `repository`, by name.
    public func collaborators(_ repository: String) async throws -> [(user: String, role: NamespaceGrants.Role, grantedAt: Int64, grantedBy: String)] {
        try await database.query(
            "SELECT username, role, granted_at, granted_by FROM collaborators WHERE repository = $1 ORDER BY username ASC", [.text(repository)]
        ).compactMap { row in
            guard let user = row["username"].text, let role = row["role"].text.flatMap(NamespaceGrants.Role.init(rawValue:)) else { return nil }
            return (user, role, row["granted_at"].integer ?? 0, row["granted_by"].text ?? "")
        }
    }

    /// Grants `user` `role` on `repository` (replacing any role they had).
    public func setCollaborator(_ repository: String, _ user: String, _ role: NamespaceGrants.Role, by granter: String) async throws {
        try await database.execute(
            """
            INSERT INTO collaborators (repository, username, role, granted_at, granted_by) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (repository, username) DO UPDATE SET role = excluded.role, granted_at = excluded.granted_at, granted_by = excluded.granted_by
            """,
            [.text(repository), .text(user), .text(role.rawValue), .integer(IndexClock.now()), .text(granter)]
        )
        grants?.update(repository) { $0.collaborators[user] = role }
        try await bumpGrantsVersion()
    }

    /// Takes `user`'s role on `repository` away; false when they had none.
    @discardableResult
    public func removeCollaborator(_ repository: String, _ user: String) async throws -> Bool {
        let rows = try await database.query(
            "DELETE FROM collaborators WHERE repository = $1 AND username = $2 RETURNING username", [.text(repository), .text(user)]
        )
        grants?.update(repository) { $0.collaborators[user] = nil }
        try await bumpGrantsVersion()
        return !rows.isEmpty
    }
}
