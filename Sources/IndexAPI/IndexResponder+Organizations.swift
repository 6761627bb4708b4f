import Auth
import Foundation
import Hummingbird
import Index
import OCI

/// `/api/v1/orgs…`: organisations, their teams and members (with `index.namespaces`).
extension IndexResponder {
    func organizationsRoute(_ request: Request, _ rest: Substring, _ caller: Principal, route: inout String) async throws -> Response {
        guard let grants = index.grants else {
            throw JSONFields.invalid("organisations need index.namespaces: true")
        }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.isEmpty || parts == [""] {
            route = "api_orgs"
            if request.method == .post {
                let user = try postingUser(caller)
                // An organisation takes a namespace from everyone, a user of that name
                // included: only the registry's administrators make them.
                guard access?.policy.admins.contains(user) == true, caller.provedPassword else {
                    throw RegistryError(.denied, "organisations are made by the registry's administrators (access.admins)")
                }
                let fields = try await JSONFields.read(request, limit: 1024, allowed: ["name"])
                guard let name = try fields.string("name", maximum: 64) else { throw JSONFields.invalid("'name' is required") }
                if let refusal = try await index.organizationRefusal(name) {
                    throw RegistryError(.requestInvalid, refusal.reason, status: refusal.isConflict ? 409 : 400)
                }
                try await index.createOrganization(name, by: user)
                var response = try await organizationBody(name, caller, grants)
                response.status = .created
                return response
            }
            try requireGet(request)
            let organizations = try await index.organizations()
            return try json(["results": organizations.map { OrganizationBody(name: $0.name, createdAt: IndexClock.format($0.createdAt), createdBy: $0.createdBy, teams: nil) }])
        }
        let name = parts[0]
        guard try await index.organization(name) != nil else { throw RegistryError(.notFound, "no such organisation") }
        let user = caller.identity.userName
        // An owner is in the owners team (or administers the registry): a team's `admin` is
        // a permission on the organisation's repositories, not a say over its teams.
        let isRegistryAdmin = user.map { access?.policy.admins.contains($0) == true } ?? false
        var isOwner = isRegistryAdmin
        if !isOwner, let user {
            isOwner = try await index.teams(of: name).contains { $0.name == Organization.ownersTeam && $0.members.contains(user) }
        }
        let isMember = isOwner || user.map { grants.role(of: $0, in: name) != nil } ?? false
        if parts.count >= 2, parts[1] == "webhooks" {
            // acme/webhooks[/{id}[/deliveries[/{delivery}/redeliver]]]
            let shape: String? = switch parts.count {
            case 2: "webhooks"
            case 3: "webhook"
            case 4 where parts[3] == "deliveries": "deliveries"
            case 6 where parts[3] == "deliveries" && parts[5] == "redeliver": "redeliver"
            default: nil
            }
            guard let shape else { throw RegistryError(.unsupported, "no such index endpoint", status: 404) }
            route = "api_org_" + shape
            try requireOwner(isOwner, caller)
            guard let webhooks else { throw RegistryError(.unavailable, "webhooks are not available", status: 503) }
            return try await webhookRoute(
                request, Query(request.uri.query ?? ""), shape, scope: .organization, target: name,
                parts.count > 2 ? parts[2] : nil, parts.count > 4 ? parts[4] : nil, caller, webhooks
            )
        }
        switch parts.count {
        case 1:
            route = "api_org"
            if request.method == .delete {
                try requireOwner(isOwner, caller)
                // Storage says first what the index may not have applied yet (a push just
                // acknowledged): a namespace left holding it would belong to nobody.
                if let registry, try await !registry.catalog(limit: 1, after: name + "/").items.filter({ $0.hasPrefix(name + "/") }).isEmpty {
                    throw RegistryError(.requestInvalid, "\(name) still holds repositories: delete them first", status: 409)
                }
                switch try await index.deleteOrganization(name) {
                case .deleted:
                    // Its webhooks are gone: this instance stops delivering to them now.
                    await webhooks?.reload()
                    return Response(status: .noContent)
                case .notFound:
                    throw RegistryError(.notFound, "no such organisation")
                case .holdsRepositories:
                    throw RegistryError(.requestInvalid, "\(name) still holds repositories: delete them first", status: 409)
                }
            }
            try requireGet(request)
            return try await organizationBody(name, caller, grants)
        case 2 where parts[1] == "teams":
            route = "api_teams"
            if request.method == .post {
                try requireOwner(isOwner, caller)
                let fields = try await JSONFields.read(request, limit: 1024, allowed: ["name", "permission"])
                guard let team = try fields.string("name", maximum: 64), Self.isTeamName(team) else {
                    throw JSONFields.invalid("'name' must be lowercase letters, digits and . _ -, at most 64 characters")
                }
                guard try await !index.teams(of: name).contains(where: { $0.name == team }) else {
                    throw RegistryError(.requestInvalid, "\(team) exists", status: 409)
                }
                let permission = try Self.permission(fields) ?? .read
                try await index.setTeam(name, team, permission: permission)
                var response = try json(TeamBody(name: team, permission: permission.rawValue, members: []))
                response.status = .created
                return response
            }
            try requireGet(request)
            guard isMember else { throw RegistryError(.denied, "only the organisation's members see its teams") }
            return try json(["results": try await index.teams(of: name).map(TeamBody.init)])
        case 3 where parts[1] == "teams", 5 where parts[1] == "teams" && parts[3] == "members":
            let teamName = parts[2]
            // Outsiders learn nothing of the teams, not even which exist: the same refusal
            // for a team there is and one there is not.
            guard isMember else { throw RegistryError(.denied, "only the organisation's members see its teams") }
            guard let team = try await index.teams(of: name).first(where: { $0.name == teamName }) else {
                throw RegistryError(.notFound, "no such team")
            }
            if parts.count == 5 {
                route = "api_team_member"
                try requireOwner(isOwner, caller)
                guard let member = Self.userName(Substring(parts[4])) else { throw JSONFields.invalid("not a user name") }
                switch request.method {
                case .put:
                    try await index.addMember(name, teamName, member)
                    return Response(status: .noContent)
                case .delete:
                    if teamName == Organization.ownersTeam, team.members == [member] {
                        throw JSONFields.invalid("the owners team keeps at least one member")
                    }
                    guard try await index.removeMember(name, teamName, member) else {
                        throw RegistryError(.notFound, "\(member) is not in \(teamName)")
                    }
                    return Response(status: .noContent)
                default:
                    throw RegistryError(.unsupported, "use PUT or DELETE")
                }
            }
            route = "api_team"
            switch request.method {
            case .get, .head:
                guard isMember else { throw RegistryError(.denied, "only the organisation's members see its teams") }
                return try json(TeamBody(team))
            case .patch:
                try requireOwner(isOwner, caller)
                let fields = try await JSONFields.read(request, limit: 1024, allowed: ["permission"])
                guard let permission = try Self.permission(fields) else { throw JSONFields.invalid("'permission' is required") }
                guard teamName != Organization.ownersTeam else { throw JSONFields.invalid("the owners team always administers") }
                try await index.setTeam(name, teamName, permission: permission)
                return try json(TeamBody(name: teamName, permission: permission.rawValue, members: team.members))
            case .delete:
                try requireOwner(isOwner, caller)
                guard teamName != Organization.ownersTeam else { throw JSONFields.invalid("the owners team cannot be removed") }
                _ = try await index.deleteTeam(name, teamName)
                return Response(status: .noContent)
            default:
                throw RegistryError(.unsupported, "use GET, PATCH or DELETE")
            }
        default:
            throw RegistryError(.unsupported, "no such index endpoint", status: 404)
        }
    }

    /// The organisation as `caller` may see it: its teams only for its members.
    private func organizationBody(_ name: String, _ caller: Principal, _ grants: NamespaceGrants) async throws -> Response {
        guard let organization = try await index.organization(name) else { throw RegistryError(.notFound, "no such organisation") }
        let member = caller.identity.userName.map { grants.role(of: $0, in: name) != nil || access?.policy.admins.contains($0) == true } ?? false
        let teams = member ? try await index.teams(of: name).map(TeamBody.init) : nil
        return try json(OrganizationBody(
            name: organization.name, createdAt: IndexClock.format(organization.createdAt), createdBy: organization.createdBy, teams: teams,
            storage: member ? try await storage(of: name) : nil
        ))
    }

    private func requireOwner(_ isOwner: Bool, _ caller: Principal) throws {
        guard caller.identity.userName != nil else { throw AuthFailure(.missingCredentials, "log in first") }
        // A personal access token with every scope may (the owner chose it); a bearer token's
        // claim names repositories, not organisations, so it never administers one.
        if caller.tokenAccess != nil { throw RegistryError(.denied, "a registry token cannot administer: use your password or a personal access token") }
        if let limit = caller.limit, limit != .all { throw RegistryError(.denied, "this token cannot administer") }
        guard isOwner else { throw RegistryError(.denied, "only the organisation's owners may do this") }
    }

    /// A team's name: 1 to 64 of `a-z`, `0-9`, `.`, `_` and `-`, ASCII only (`٣` and `²`
    /// are digits to Unicode, and no one could type them back in a URL).
    static func isTeamName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || "._-".contains($0)) }
    }

    static func permission(_ fields: JSONFields) throws -> NamespaceGrants.Role? {
        guard let word = try fields.string("permission", maximum: 16) else { return nil }
        guard let role = NamespaceGrants.Role(rawValue: word) else { throw JSONFields.invalid("'permission' must be read, write or admin") }
        return role
    }

    struct OrganizationBody: Encodable {
        var name: String
        var createdAt: String
        var createdBy: String
        /// Only for its members.
        var teams: [TeamBody]?
        /// Only for its members: what it holds against its quota.
        var storage: StorageBody? = nil
    }

    struct TeamBody: Encodable {
        var name: String
        var permission: String
        var members: [String]

        init(name: String, permission: String, members: [String]) {
            self.name = name
            self.permission = permission
            self.members = members
        }

        init(_ team: Organization.Team) {
            self.init(name: team.name, permission: team.permission.rawValue, members: team.members)
        }
    }
}
