/// The web UI's addresses, which people share and so never change: `/` home,
/// `/search?q=`, `/r/{name}` a repository, `/r/{name}/tags/{tag}` a tag, and the embedded
/// assets under `/static/`.
///
/// Repository names contain slashes, so the repository routes are read from the right: a
/// path ending in `/tags/{tag}` is a tag page unless the whole of it names a repository
/// the caller may see (``WebResponder`` asks), the same rule the registry API uses for
/// `/v2/{name}/tags/list`.
enum WebPath: Equatable, Sendable {
    case home
    case search
    case repository(String)
    /// A repository and a tag (or a `sha256:` digest).
    case tag(repository: String, tag: String)
    case asset(String)
    case login
    case logout
    /// Forms that change a repository, under `/r/{name}/-/`: `-` is never a component of a
    /// repository name, so these never shadow one.
    case star(String)
    case comment(String)
    /// A change posted from a repository's settings page.
    case repositoryChange(String)
    /// `/r/{name}/settings`, for those who administer the repository.
    case repositorySettings(String)
    /// `/settings`: the signed-in user's account (password, access tokens).
    case account
    /// `/admin`: users and organisations, for the registry's administrators.
    case admin
    /// `/u/{user}`: a user's repositories and organisations.
    case user(String)
    /// `/o/{org}`: an organisation's repositories, and its teams for its members.
    case organization(String)

    /// The route for `path` (below the UI's prefix, without the query); nil for a path the
    /// UI does not serve.
    init?(_ path: Substring) {
        switch path {
        case "/", "": self = .home
        case "/search": self = .search
        case "/login": self = .login
        case "/logout": self = .logout
        case "/settings": self = .account
        case "/admin": self = .admin
        default:
            if path.hasPrefix("/static/") {
                self = .asset(String(path.dropFirst("/static/".count)))
                return
            }
            for (prefix, make) in [("/u/", WebPath.user), ("/o/", WebPath.organization)] where path.hasPrefix(prefix) {
                let name = path.dropFirst(prefix.count)
                guard !name.isEmpty, !name.contains("/") else { return nil }
                self = make(String(name))
                return
            }
            guard path.hasPrefix("/r/") else { return nil }
            var rest = path.dropFirst(3)
            while rest.hasSuffix("/") { rest = rest.dropLast() }
            guard !rest.isEmpty else { return nil }
            let forms = [("/-/star", WebPath.star), ("/-/comments", WebPath.comment), ("/-/settings", WebPath.repositoryChange), ("/settings", WebPath.repositorySettings)]
            for (suffix, make) in forms where rest.hasSuffix(suffix) {
                let name = rest.dropLast(suffix.count)
                guard !name.isEmpty else { return nil }
                self = make(String(name))
                return
            }
            // A tag has no slash: only the last component can be one.
            if let slash = rest.lastIndex(of: "/") {
                let tag = rest[rest.index(after: slash)...]
                let head = rest[..<slash]
                if !tag.isEmpty, head.hasSuffix("/tags"), head.count > "/tags".count {
                    self = .tag(repository: String(head.dropLast("/tags".count)), tag: String(tag))
                    return
                }
            }
            self = .repository(String(rest))
        }
    }

    /// The label of this route in metrics.
    var route: String {
        switch self {
        case .home: "web_home"
        case .search: "web_search"
        case .repository: "web_repository"
        case .tag: "web_tag"
        case .asset: "web_asset"
        case .login: "web_login"
        case .logout: "web_logout"
        case .star: "web_star"
        case .comment: "web_comment"
        case .repositoryChange: "web_repository_change"
        case .repositorySettings: "web_repository_settings"
        case .account: "web_account"
        case .admin: "web_admin"
        case .user: "web_user"
        case .organization: "web_organization"
        }
    }
}
