import OCI

/// Organisations, their teams and members. Every change reloads the grants the registry
/// asks (and tells other instances to).
extension RepositoryIndex {
    /// Why `name` cannot become an organisation, or nil.
    ///
    /// The name is a namespace, so it is one component of a repository name as
    /// distribution's grammar has it (ASCII only, no `..`): `٣٣` or `x²` would pass a
    /// Unicode letter-or-digit test and then hold no repository, ever.
    public func organizationRefusal(_ name: String) async throws -> NamespaceRefusal? {
        guard name.utf8.count <= 64, RepositoryName.isComponent(name) else {
            return .malformed(
                "an organisation's name is a namespace: lowercase letters (a-z) and digits, joined by one . or _, two _ or any number of -, "
                    + "at most 64 characters"
            )
        }
        if try await organization(name) != nil { return .taken("\(name) exists") }
        if try await namespaceHoldsRepositories(name) { return .taken("the namespace \(name) already holds repositories") }
        return nil
    }

    /// Whether any repository lives under `name/`.
    func namespaceHoldsRepositories(_ name: String) async throws -> Bool {
        try await Self.namespaceHoldsRepositories(name, in: database)
    }

    /// Whether any repository lives under `name/`, asked of `database` (a transaction's, so
    /// a deletion decides on what it then deletes by).
    static func namespaceHoldsRepositories(_ name: String, in database: any IndexDatabase) async throws -> Bool {
        let prefix = name + "/"
        return try await !database.query(
            "SELECT 1 AS one FROM repositories WHERE substr(name, 1, CAST($2 AS INTEGER)) = $1 LIMIT 1", [.text(prefix), .integer(Int64(prefix.utf8.count))]
        ).isEmpty
    }

    /// Makes organisation `name`, with `creator` in its owners team.
    public func createOrganization(_ name: String, by creator: String) async throws {
        let now = IndexClock.now()
        try await database.transaction { database in
            try await database.execute("INSERT INTO organizations (name, created_at, created_by) VALUES ($1, $2, $3)", [.text(name), .integer(now), .text(creator)])
            try await database.execute(
                "INSERT INTO teams (organization, name, permission, created_at) VALUES ($1, $2, 'admin', $3)",
                [.text(name), .text(Organization.ownersTeam), .integer(now)]
            )
            try await database.execute(
                "INSERT INTO team_members (organization, team, username, added_at) VALUES ($1, $2, $3, $4)",
                [.text(name), .text(Organization.ownersTeam), .text(creator), .integer(now)]
            )
        }
        try await grantsChanged()
    }

    /// Deletes organisation `name` with its teams, their members and its webhooks (with
    /// their deliveries), all in one transaction.
    ///
    /// Refused while a repository lives in its namespace: nobody would administer it any
    /// more, and whoever got the name next (a user, another organisation) would own it.
    /// The registry's repositories there are deleted first, through the API.
    public func deleteOrganization(_ name: String) async throws -> Organization.Deletion {
        let outcome: Organization.Deletion = try await database.transaction { database in
            guard try await !database.query("SELECT name FROM organizations WHERE name = $1", [.text(name)]).isEmpty else { return .notFound }
            if try await Self.namespaceHoldsRepositories(name, in: database) { return .holdsRepositories }
            let scope = IndexValue.text(Webhook.Scope.organization.rawValue)
            // Each table by hand, not by the foreign keys' cascades: every row that goes is
            // named here, whatever the engine enforces.
            try await database.execute(
                "DELETE FROM webhook_deliveries WHERE webhook IN (SELECT id FROM webhooks WHERE scope = $1 AND target = $2)", [scope, .text(name)]
            )
            try await database.execute("DELETE FROM webhooks WHERE scope = $1 AND target = $2", [scope, .text(name)])
            try await database.execute("DELETE FROM team_members WHERE organization = $1", [.text(name)])
            try await database.execute("DELETE FROM teams WHERE organization = $1", [.text(name)])
            try await database.execute("DELETE FROM organizations WHERE name = $1", [.text(name)])
            return .deleted
        }
        guard outcome == .deleted else { return outcome }
        // Also what tells other instances to read the organisations and webhooks again.
        try await grantsChanged()
        return .deleted
    }

    /// Every organisation, by name.
    public func organizations() async throws -> [Organization] {
        try await database.query("SELECT name, created_at, created_by FROM organizations ORDER BY name ASC", []).map(Self.organization)
    }

    /// The organisation `name`, or nil.
    public func organization(_ name: String) async throws -> Organization? {
        try await database.query("SELECT name, created_at, created_by FROM organizations WHERE name = $1", [.text(name)]).first.map(Self.organization)
    }

    /// The teams of `organization` with their members.
    public func teams(of organization: String) async throws -> [Organization.Team] {
        let teams = try await database.query("SELECT name, permission FROM teams WHERE organization = $1 ORDER BY name ASC", [.text(organization)])
        let members = try await database.query(
            "SELECT team, username FROM team_members WHERE organization = $1 ORDER BY username ASC", [.text(organization)]
        )
        var byTeam = [String: [String]]()
        for row in members {
            if let team = row["team"].text, let user = row["username"].text { byTeam[team, default: []].append(user) }
        }
        return teams.compactMap { row in
            guard let name = row["name"].text, let permission = row["permission"].text.flatMap(NamespaceGrants.Role.init(rawValue:)) else { return nil }
            return Organization.Team(name: name, permission: permission, members: byTeam[name] ?? [])
        }
    }

    /// Makes or changes team `name` of `organization`.
    public func setTeam(_ organization: String, _ name: String, permission: NamespaceGrants.Role) async throws {
        try await database.execute(
            """
            INSERT INTO teams (organization, name, permission, created_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (organization, name) DO UPDATE SET permission = excluded.permission
            """,
            [.text(organization), .text(name), .text(permission.rawValue), .integer(IndexClock.now())]
        )
        try await grantsChanged()
    }

    /// Removes team `name`; false when there was none. Members it was the last team of in
    /// the organisation leave it (``removeMember(_:_:_:)`` says what that ends).
    public func deleteTeam(_ organization: String, _ name: String) async throws -> Bool {
        let deleted = try await database.transaction { database in
            let members = try await database.query(
                "SELECT username FROM team_members WHERE organization = $1 AND team = $2", [.text(organization), .text(name)]
            ).compactMap { $0["username"].text }
            let rows = try await database.query(
                "DELETE FROM teams WHERE organization = $1 AND name = $2 RETURNING name", [.text(organization), .text(name)]
            )
            for member in members { try await Self.dropCollaborationsIfGone(member, from: organization, in: database) }
            return (deleted: !rows.isEmpty, members: members)
        }
        // Again once committed: a removal from another team committed meanwhile was not
        // seen inside (PostgreSQL's read committed), and each would have kept the roles.
        for member in deleted.members { await dropCollaborationsAfterCommit(member, from: organization) }
        try await grantsChanged()
        return deleted.deleted
    }

    /// Adds `user` to a team.
    public func addMember(_ organization: String, _ team: String, _ user: String) async throws {
        try await database.execute(
            "INSERT INTO team_members (organization, team, username, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [.text(organization), .text(team), .text(user), .integer(IndexClock.now())]
        )
        try await grantsChanged()
    }

    /// Takes `user` out of a team; false when they were not in it.
    ///
    /// Out of the organisation's last team, they leave it, and their collaborations on its
    /// repositories go with them: a team admin can make anyone (themselves included) a
    /// collaborator, and leaving must end every access the organisation gave, as it does
    /// on GitHub. Someone meant to stay on a repository is added again afterwards.
    public func removeMember(_ organization: String, _ team: String, _ user: String) async throws -> Bool {
        let removed = try await database.transaction { database in
            let rows = try await database.query(
                "DELETE FROM team_members WHERE organization = $1 AND team = $2 AND username = $3 RETURNING username",
                [.text(organization), .text(team), .text(user)]
            )
            // A refused removal (not in that team) ends nothing: an outside collaborator
            // keeps their roles.
            guard !rows.isEmpty else { return false }
            try await Self.dropCollaborationsIfGone(user, from: organization, in: database)
            return true
        }
        guard removed else { return false }
        // Again once committed, for a removal from another team committed meanwhile.
        await dropCollaborationsAfterCommit(user, from: organization)
        try await grantsChanged()
        return true
    }

    /// The second look after commit: a failure is logged, not thrown, so the change that
    /// committed still reaches the grants.
    private func dropCollaborationsAfterCommit(_ user: String, from organization: String) async {
        do {
            try await Self.dropCollaborationsIfGone(user, from: organization, in: database)
        } catch {
            logger.warning(
                "collaborations of someone who left an organisation could not be checked again",
                metadata: ["user": "\(user)", "organization": "\(organization)", "error": "\(error)"]
            )
        }
    }

    /// Deletes `user`'s collaborations on `organization`'s repositories when they are in
    /// none of its teams any more.
    static func dropCollaborationsIfGone(_ user: String, from organization: String, in database: any IndexDatabase) async throws {
        let prefix = organization + "/"
        try await database.execute(
            """
            DELETE FROM collaborators WHERE username = $1 AND substr(repository, 1, CAST($3 AS INTEGER)) = $2
            AND NOT EXISTS (SELECT 1 FROM team_members WHERE organization = $4 AND username = $1)
            """,
            [.text(user), .text(prefix), .integer(Int64(prefix.utf8.count)), .text(organization)]
        )
    }

    /// The organisations `user` is in, by name.
    public func organizations(of user: String) async throws -> [String] {
        try await database.query("SELECT DISTINCT organization FROM team_members WHERE username = $1 ORDER BY organization ASC", [.text(user)])
            .compactMap { $0["organization"].text }
    }

    /// Reloads the grants here and tells the other instances.
    func grantsChanged() async throws {
        try await bumpGrantsVersion()
        try await loadGrants()
    }

    static func organization(_ row: IndexRow) -> Organization {
        Organization(name: row["name"].text ?? "", createdAt: row["created_at"].integer ?? 0, createdBy: row["created_by"].text ?? "")
    }
}
