import Auth
import Foundation
import Hummingbird
import Index
import IndexAPI
import Markdown

extension WebResponder {
    func home(_ request: Request, _ visitor: Visitor) async throws -> Response {
        let visible = indexAPI.visibility(for: visitor.principal)
        let now = IndexClock.now()
        let recent = try await index.recentlyPushed(visible: visible, limit: 10)
        let popular = try await index.search("", visible: visible, limit: 10, offset: 0).hits
        var mine: WebView.Mine?
        if visitor.session != nil, let user = visitor.user {
            let own = try await index.repositories(inNamespace: user, visible: visible, limit: 10, offset: 0).hits
            var starred = [SearchResults.Hit]()
            for name in try await index.starred(by: user).prefix(10) where indexAPI.visible(name, to: visitor.principal) {
                if let summary = try await index.repository(name) {
                    starred.append(.init(
                        name: name, description: summary.description, starCount: summary.starCount,
                        pullCount: summary.pullCount, pushedAt: summary.pushedAt
                    ))
                }
            }
            let organizations = index.grants == nil ? [] : try await index.organizations(of: user)
            mine = WebView.Mine(
                user: user, userURL: link("/u/" + user),
                repositories: .init(cards: own.map { card($0, now: now) }),
                organizations: organizations.map { WebView.Link(label: $0, url: link("/o/" + $0)) },
                starred: .init(cards: starred.map { card($0, now: now) })
            )
        }
        let model = WebView.Home(
            chrome: chrome("Home", visitor: visitor),
            host: registryHost(request),
            recent: .init(cards: recent.map { card($0, now: now) }),
            popular: .init(cards: popular.map { card($0, now: now) }),
            mine: mine
        )
        return page(.ok, model, template: "home")
    }

    /// How search results may be ordered besides the best match first.
    static let searchOrders: [(value: String, label: String)] = [
        ("best", "best match"), ("stars", "most stars"), ("pulls", "most pulls"), ("updated", "recently pushed"),
    ]

    /// The matches re-ordered or narrowed by the filters are taken from the best this many.
    static let filteredSearchLimit = 1_000

    func search(_ query: Query, _ visitor: Visitor) async throws -> Response {
        // What the page echoes (title, heading, search box) is what was asked without its
        // control characters: a `%00` has no business in the HTML.
        let text = String(WebFormat.printable(query["q"] ?? "").prefix(200))
        var pageNumber = min(max(query.int("page") ?? 1, 1), Query.maximumPage)
        let order = Self.searchOrders.first { $0.value == query["sort"] }?.value ?? "best"
        let namespace = String(WebFormat.printable(query["namespace"] ?? "").trimmingCharacters(in: .whitespaces).prefix(255))
        let visible = indexAPI.visibility(for: visitor.principal)
        var results: SearchResults
        if order == "best", namespace.isEmpty {
            results = try await index.search(text, visible: visible, limit: Self.pageSize, offset: (pageNumber - 1) * Self.pageSize)
            // Past the last page: the last one is read and shown, as the pager marks it.
            let last = Self.clampPage(pageNumber, total: results.total, pageSize: Self.pageSize)
            if last != pageNumber {
                pageNumber = last
                results = try await index.search(text, visible: visible, limit: Self.pageSize, offset: (pageNumber - 1) * Self.pageSize)
            }
        } else {
            // Filters re-order and narrow the best matches: exact for up to 1,000 of them,
            // the most relevant 1,000 past that.
            var hits = try await index.search(text, visible: visible, limit: Self.filteredSearchLimit, offset: 0).hits
            if !namespace.isEmpty { hits = hits.filter { $0.name.hasPrefix(namespace + "/") } }
            switch order {
            case "stars": hits.sort { ($0.starCount, $1.name) > ($1.starCount, $0.name) }
            case "pulls": hits.sort { ($0.pullCount, $1.name) > ($1.pullCount, $0.name) }
            case "updated": hits.sort { ($0.pushedAt ?? 0, $1.name) > ($1.pushedAt ?? 0, $0.name) }
            default: break
            }
            pageNumber = Self.clampPage(pageNumber, total: hits.count, pageSize: Self.pageSize)
            results = SearchResults(
                hits: Array(hits.dropFirst((pageNumber - 1) * Self.pageSize).prefix(Self.pageSize)), total: hits.count
            )
        }
        let now = IndexClock.now()
        let model = WebView.Search(
            chrome: chrome(text.isEmpty ? "Search" : "Search: \(text)", query: text, visitor: visitor),
            query: text,
            hasQuery: !text.isEmpty,
            total: WebFormat.count(Int64(results.total)),
            results: .init(cards: results.hits.map { card($0, now: now) }),
            pager: Self.pager(total: results.total, pageSize: Self.pageSize, current: pageNumber) { number in
                link("/search", [("q", text), ("namespace", namespace), ("sort", order), ("page", String(number))])
            },
            namespace: namespace,
            orders: Self.searchOrders.map { WebView.Choice(value: $0.value, label: $0.label, selected: $0.value == order) }
        )
        return page(.ok, model, template: "search")
    }

    /// A tag of the shape cosign and its kin give what they attach to an image:
    /// `sha256-` and the image's 64 hex digits, then `.sig`, `.att`, `.sbom` or another suffix.
    static func isAttachedTag(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count > 71, bytes.starts(with: Array("sha256-".utf8)), bytes[71] == UInt8(ascii: ".") else { return false }
        return bytes[7..<71].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    func repository(_ name: String, _ query: Query, _ request: Request, _ visitor: Visitor) async throws -> Response {
        guard indexAPI.visible(name, to: visitor.principal), let summary = try await index.repository(name) else {
            return page(.notFound, notFound("No repository \(name) here, or it is not yours to see."))
        }
        let order = query["sort"].flatMap(TagSummary.Order.init(rawValue:)) ?? .pushed
        // A page past the last tag page shows the last, as its pager says.
        let pageNumber = Self.clampPage(
            min(max(query.int("page") ?? 1, 1), Query.maximumPage), total: Int(summary.tagCount), pageSize: Self.tagPageSize
        )
        let tags = try await index.tags(name, order: order, limit: Self.tagPageSize, offset: (pageNumber - 1) * Self.tagPageSize)
        // Comments are paged too, oldest first, so every one of them is reachable.
        var commentPage = min(max(query.int("comments_page") ?? 1, 1), Query.maximumPage)
        var comments = try await index.comments(name, limit: Self.commentPageSize, offset: (commentPage - 1) * Self.commentPageSize)
        let lastCommentPage = Self.clampPage(commentPage, total: comments.total, pageSize: Self.commentPageSize)
        if lastCommentPage != commentPage {
            commentPage = lastCommentPage
            comments = try await index.comments(name, limit: Self.commentPageSize, offset: (commentPage - 1) * Self.commentPageSize)
        }
        let now = IndexClock.now()
        let markdown = SafeMarkdown()
        let host = registryHost(request)
        let components = name.split(separator: "/")
        let ownerURL: String? = if components.count > 1 { await ownerLink(String(components[0])) } else { nil }
        let crumbs: [WebView.Link] = if let ownerURL {
            Self.crumbs(of: name, ownerURL: ownerURL, namespaceURL: { prefix in link("/search", [("namespace", prefix)]) })
        } else {
            []
        }
        var starred = false
        if visitor.session != nil, let user = visitor.user { starred = try await index.hasStarred(user, name) }
        // `docker pull NAME` pulls `latest`: without a tag of that name the command names
        // the newest tag instead of one that fails, passing over the tags cosign pushes
        // beside an image (`sha256-<hex>.sig`, `.att`, `.sbom`), which are no image to run.
        var pullReference = "\(host)/\(name)"
        if try await index.tag(name, "latest") == nil,
           let newest = try await index.tags(name, order: .pushed, limit: 20, offset: 0).first(where: { !Self.isAttachedTag($0.name) }) {
            pullReference += ":" + newest.name
        }
        let sorts: [(TagSummary.Order, String)] = [(.pushed, "newest"), (.name, "name"), (.size, "size")]
        let model = WebView.Repository(
            chrome: chrome(name, visitor: visitor),
            name: name,
            crumbs: crumbs,
            shortName: components.last.map(String.init) ?? name,
            description: summary.description,
            hasDescription: !summary.description.isEmpty,
            stars: WebFormat.count(summary.starCount),
            pulls: WebFormat.count(summary.pullCount),
            tagCount: WebFormat.count(summary.tagCount),
            pushed: when(summary.pushedAt, now: now),
            lastPulled: when(summary.lastPulledAt, now: now),
            pullCommand: "docker pull \(pullReference)",
            overviewHTML: markdown.html(summary.overview),
            hasOverview: !summary.overview.isEmpty,
            sorts: sorts.map { choice, label in
                WebView.SortLink(label: label, url: link("/r/" + name, [("sort", choice.rawValue)]), current: choice == order)
            },
            tags: tags.map { tag in
                WebView.TagRow(
                    name: tag.name, url: link("/r/\(name)/tags/\(tag.name)"), digest: tag.digest,
                    shortDigest: WebFormat.shortDigest(tag.digest), size: WebFormat.bytes(tag.size), platforms: tag.platforms,
                    pushed: when(tag.pushedAt, now: now) ?? .init(iso: "", ago: ""), pusher: tag.pusher,
                    lastPulled: when(tag.lastPulledAt, now: now)
                )
            },
            pager: Self.pager(total: Int(summary.tagCount), pageSize: Self.tagPageSize, current: pageNumber) { number in
                link("/r/" + name, [("sort", order.rawValue), ("page", String(number))])
            },
            comments: comments.comments.map { comment in
                WebView.Comment(
                    anchor: "comment-\(comment.id)",
                    author: comment.author, created: when(comment.createdAt, now: now) ?? .init(iso: "", ago: ""),
                    html: markdown.html(comment.body)
                )
            },
            commentCount: WebFormat.count(Int64(comments.total)),
            commentPager: Self.pager(total: comments.total, pageSize: Self.commentPageSize, current: commentPage) { number in
                link("/r/" + name, [("sort", order.rawValue), ("page", String(pageNumber)), ("comments_page", String(number))])
                    + "#comments-heading"
            },
            signedIn: visitor.session != nil,
            starred: starred,
            starURL: link("/r/\(name)/-/star"),
            commentURL: link("/r/\(name)/-/comments"),
            signInURL: link("/login", [("next", repositoryLink(name))]),
            commentLimit: IndexResponder.commentLimit,
            canAdminister: visitor.session != nil && indexAPI.allows(visitor.principal, .all, on: name),
            settingsURL: link("/r/\(name)/settings")
        )
        return page(.ok, model, template: "repository")
    }

    /// The breadcrumb links above a repository's name, one per component before its own:
    /// the owner's page first, then each deeper path as a search narrowed to it, since that
    /// is what `alice/a0` names (the repositories under it), not alice's page again.
    static func crumbs(of name: String, ownerURL: String, namespaceURL: (String) -> String) -> [WebView.Link] {
        let components = name.split(separator: "/").map(String.init)
        guard components.count > 1 else { return [] }
        var links = [WebView.Link(label: components[0], url: ownerURL)]
        var prefix = components[0]
        for component in components.dropFirst().dropLast() {
            prefix += "/" + component
            links.append(WebView.Link(label: component, url: namespaceURL(prefix)))
        }
        return links
    }
}
