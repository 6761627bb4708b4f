/// Organisations, their teams and members. Every change reloads the grants the registry
/// asks (and tells other instances to).
extension RepositoryIndex {
    /// Why `name` cannot become an organisation, or nil.
    public func organizationRefusal(_ name: String) async throws -> String? {
        guard name.count <= 64, name.first?.isLetter == true || name.first?.isNumber == true,
              name.allSatisfy({ ($0.isLowercase && $0.isASCII) || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }),
              name.last?.isLetter == true || name.last?.isNumber == true else {
            return "an organisation's name is a namespace: lowercase letters, digits and . _ - inside, at most 64 characters"
        }
        if try await organization(name) != nil { return "\(name) exists" }
        if try await namespaceHoldsRepositories(name) { return "the namespace \(name) already holds repositories" }
        return nil
    }

    /// Whether any repository lives under `name/`.
    func namespaceHoldsRepositories(_ name: String) async throws -> Bool {
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

    /// Removes team `name`; false when there was none.
    public func deleteTeam(_ organization: String, _ name: String) async throws -> Bool {
        let rows = try await database.query("DELETE FROM teams WHERE organization = $1 AND name = $2 RETURNING name", [.text(organization), .text(name)])
        try await grantsChanged()
        return !rows.isEmpty
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
    public func removeMember(_ organization: String, _ team: String, _ user: String) async throws -> Bool {
        let rows = try await database.query(
            "DELETE FROM team_members WHERE organization = $1 AND team = $2 AND username = $3 RETURNING username",
            [.text(organization), .text(team), .text(user)]
        )
        try await grantsChanged()
        return !rows.isEmpty
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
