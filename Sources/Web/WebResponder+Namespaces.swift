import Auth
import Hummingbird
import Index
import IndexAPI

/// Users' and organisations' pages: the repositories under a namespace that the visitor
/// may see, a user's organisations, an organisation's teams for its members (as the API
/// shows them, through its own code).
extension WebResponder {
    func namespacePage(_ name: String, organization: Bool, _ query: Query, _ visitor: Visitor) async throws -> Response {
        let missing = page(.notFound, notFound(organization ? "No organisation \(name) here." : "No user \(name) here."))
        guard IndexResponder.userName(Substring(name)) != nil else { return missing }
        var teams = [WebView.TeamCard]()
        var showTeams = false
        if organization {
            guard try await index.organization(name) != nil else { return missing }
            let answer = await api(.get, "/orgs/\(name)", as: visitor)
            if let rows = (answer.json as? [String: Any])?["teams"] as? [[String: Any]] {
                showTeams = true
                teams = rows.map { row in
                    WebView.TeamCard(
                        name: row["name"] as? String ?? "", permission: row["permission"] as? String ?? "",
                        members: (row["members"] as? [String] ?? []).joined(separator: ", ")
                    )
                }
            }
        }
        var pageNumber = min(max(query.int("page") ?? 1, 1), Query.maximumPage)
        let visible = indexAPI.visibility(for: visitor.principal)
        var results = try await index.repositories(inNamespace: name, visible: visible, limit: Self.pageSize, offset: (pageNumber - 1) * Self.pageSize)
        // Past the last page: the last one is shown, as the pager marks it.
        let last = Self.clampPage(pageNumber, total: results.total, pageSize: Self.pageSize)
        if last != pageNumber {
            pageNumber = last
            results = try await index.repositories(inNamespace: name, visible: visible, limit: Self.pageSize, offset: (pageNumber - 1) * Self.pageSize)
        }
        var organizations = [WebView.Link]()
        if !organization {
            let known = hasAccount(name)
            // A name that is nobody's and holds nothing the visitor may see is not a page.
            guard known || results.total > 0 else { return missing }
            if index.grants != nil {
                organizations = try await index.organizations(of: name).map { WebView.Link(label: $0, url: link("/o/" + $0)) }
            }
        }
        let now = IndexClock.now()
        let model = WebView.Namespace(
            chrome: chrome(name, visitor: visitor),
            name: name,
            isOrganization: organization,
            total: WebFormat.count(Int64(results.total), "repository", "repositories"),
            repositories: .init(cards: results.hits.map { card($0, now: now) }),
            pager: Self.pager(total: results.total, pageSize: Self.pageSize, current: pageNumber) { number in
                link((organization ? "/o/" : "/u/") + name, [("page", String(number))])
            },
            organizations: organizations,
            teams: teams,
            showTeams: showTeams
        )
        return page(.ok, model, template: "namespace")
    }

    /// The page of the owner of a repository (the first component of its name): an
    /// organisation's or a user's.
    func ownerLink(_ owner: String) async -> String {
        if index.grants != nil, (try? await index.organization(owner)) != nil { return link("/o/" + owner) }
        return link("/u/" + owner)
    }

    /// Whether someone can sign in as `user` here (the htpasswd file or the index's users).
    func hasAccount(_ user: String) -> Bool {
        logins.map { $0.store.hasUser(user) || $0.directory?.passwordHash(of: user) != nil } ?? false
    }
}
