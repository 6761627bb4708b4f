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
        let pageNumber = min(max(query.int("page") ?? 1, 1), Query.maximumPage)
        let results = try await index.repositories(
            inNamespace: name, visible: indexAPI.visibility(for: visitor.principal), limit: Self.pageSize, offset: (pageNumber - 1) * Self.pageSize
        )
        var organizations = [WebView.Link]()
        if !organization {
            let known = logins.map { $0.store.hasUser(name) || $0.directory?.passwordHash(of: name) != nil } ?? false
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
            total: WebFormat.count(Int64(results.total)),
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

    /// The page of a repository's namespace: an organisation's or a user's.
    func namespaceLink(_ namespace: String) async -> String {
        let first = String(namespace.split(separator: "/").first ?? "")
        if index.grants != nil, (try? await index.organization(first)) != nil { return link("/o/" + first) }
        return link("/u/" + first)
    }
}
