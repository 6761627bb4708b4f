public import Auth
import Foundation
import Hummingbird
import HTTPTypes
import Index
public import IndexAPI
import Logging
import Mustache
import NIOCore
public import RegistryAPI
public import Registry

/// Pier's web UI: server-rendered pages over the index, on the registry's own port.
///
/// Every page asks the index API's questions (``IndexResponder/authenticate(_:_:)``,
/// ``IndexResponder/visible(_:to:)``), so a page never shows what `/api/v1/` would hide: a
/// private repository and a missing one answer the same 404 page. Pages work without
/// JavaScript; the one script only adds copy buttons. The `Content-Security-Policy` allows
/// nothing but this server's own stylesheet and script, so no inline script or style can
/// run even if something slipped past the escaping.
public struct WebResponder: Sendable {
    public typealias Context = PierRequestContext

    /// Where the UI lives and how it names the registry.
    public struct Settings: Sendable {
        /// The UI's path prefix: `http.prefix` followed by `web.prefix`, "" for the root.
        public var prefix: String
        /// `http.host`: the registry's public address, for pull commands behind a proxy.
        public var externalURL: String?
        /// `https` on a TLS listener: its cookies are `Secure`.
        public var scheme: String

        public init(prefix: String = "", externalURL: String? = nil, scheme: String = "http") {
            self.prefix = prefix
            self.externalURL = externalURL
            self.scheme = scheme
        }
    }

    let index: RepositoryIndex
    let indexAPI: IndexResponder
    /// Where passwords are checked (the registry's own login door, with its throttle); nil
    /// when nobody signs in with a password here.
    let logins: HtpasswdProvider?
    let registry: Registry
    let settings: Settings
    let logger: Logger

    /// Repositories per page of search results and lists.
    static let pageSize = 25
    /// Tags per page of a repository: most repositories' tags fit on one page, which is
    /// what users of registry UIs ask for (sorting across pages is the server's job anyway).
    static let tagPageSize = 100
    /// Platforms of one index shown on a tag page.
    static let platformLimit = 32
    /// Comments per page of a repository, oldest first: every comment is on some page, and
    /// a page of long comments stays light.
    static let commentPageSize = 25

    public init(
        index: RepositoryIndex, indexAPI: IndexResponder, logins: HtpasswdProvider?, registry: Registry, settings: Settings, logger: Logger
    ) {
        self.index = index
        self.indexAPI = indexAPI
        self.logins = logins
        self.registry = registry
        self.settings = settings
        self.logger = logger
    }

    /// Whether `path` (without its query) is a page of the UI, so the front dispatcher
    /// hands it here rather than to the registry API.
    public func handles(_ path: Substring) -> Bool {
        route(path) != nil
    }

    private func route(_ path: Substring) -> WebPath? {
        guard path.hasPrefix(settings.prefix) else { return nil }
        let rest = path.dropFirst(settings.prefix.count)
        guard rest.isEmpty || rest.hasPrefix("/") else { return nil }
        return WebPath(rest)
    }

    /// Answers a page; a failure of the index becomes a 503 page, never a crash or a
    /// half-written page.
    public func respond(to request: Request, context: Context, route metric: inout String, user: inout String?) async -> Response {
        let response = await answer(request, context, route: &metric, user: &user)
        // A HEAD is answered with the GET's headers and no body (this door is no router
        // that would strip it).
        return request.method == .head ? Response(status: response.status, headers: response.headers) : response
    }

    private func answer(_ request: Request, _ context: Context, route metric: inout String, user: inout String?) async -> Response {
        let full = request.pathWithoutQuery
        guard let path = route(full) else { return page(.notFound, notFound("There is no page here.")) }
        metric = path.route
        if case .asset(let name) = path { return asset(name, request) }
        var visitor = await visitor(request, context)
        visitor.page = Self.returnTarget(path, request)
        user = visitor.user
        var response = await dispatch(path, request, context, visitor, full: full)
        // A page rendered for someone signed in is never stored: after signing out, Back
        // must not bring it (a private repository, a settings form, a new token) back.
        if visitor.isIdentified, response.headers[.cacheControl] == Self.anonymousCacheControl {
            response.headers[.cacheControl] = Self.signedInCacheControl
        }
        return response
    }

    /// Where the header's "Sign in" link returns to: this page, when it is one a browser
    /// can come back to (a GET, not the sign-in or sign-out page, not absurdly long).
    static func returnTarget(_ path: WebPath, _ request: Request) -> String? {
        guard request.method == .get || request.method == .head, path != .login, path != .logout,
              let target = request.head.path, target.utf8.count <= 2_000
        else { return nil }
        return target
    }

    private func dispatch(_ path: WebPath, _ request: Request, _ context: Context, _ visitor: Visitor, full: Substring) async -> Response {
        let query = Query(request.uri.query ?? "")
        do {
            switch path {
            case .login:
                guard request.method == .get || request.method == .head || request.method == .post else { return notAllowed("GET, POST") }
                return try await login(request, context, visitor)
            case .logout:
                guard request.method == .get || request.method == .head || request.method == .post else { return notAllowed("GET, POST") }
                return try await logout(request, visitor)
            case .star(let name):
                return try await star(request, name, visitor)
            case .comment(let name):
                return try await comment(request, name, visitor)
            case .repositoryChange(let name):
                return try await repositoryChange(request, name, visitor)
            case .account:
                guard request.method == .get || request.method == .head || request.method == .post else { return notAllowed("GET, POST") }
                return try await account(request, visitor)
            case .admin:
                guard request.method == .get || request.method == .head || request.method == .post else { return notAllowed("GET, POST") }
                return try await admin(request, visitor)
            default:
                break
            }
            guard request.method == .get || request.method == .head else { return notAllowed("GET, HEAD") }
            switch path {
            case .home:
                return try await home(request, visitor)
            case .search:
                return try await search(query, visitor)
            case .repository(let name):
                return try await repository(name, query, request, visitor)
            case .tag(let name, let tag):
                // `/r/a/tags/b` is the repository `a/tags/b` when there is one to show.
                let whole = name + "/tags/" + tag
                if indexAPI.visible(whole, to: visitor.principal), try await index.repository(whole) != nil {
                    return try await repository(whole, query, request, visitor)
                }
                return try await tagPage(name, tag, request, visitor)
            case .user(let name):
                return try await namespacePage(name, organization: false, query, visitor)
            case .organization(let name):
                return try await namespacePage(name, organization: true, query, visitor)
            case .repositorySettings(let name):
                // `/r/a/settings` is the repository `a/settings` when there is one to show.
                let whole = name + "/settings"
                if indexAPI.visible(whole, to: visitor.principal), try await index.repository(whole) != nil {
                    return try await repository(whole, query, request, visitor)
                }
                return try await repositorySettings(name, request, visitor)
            default:
                return page(.notFound, notFound("There is no page here."))
            }
        } catch {
            logger.error("web page failed", metadata: ["path": "\(full)", "error": "\(error)"])
            return page(.serviceUnavailable, errorPage(
                "Try again later", "The index is not available right now. Try again in a moment.", visitor: visitor
            ))
        }
    }

    func notAllowed(_ methods: String) -> Response {
        var response = Response(status: .methodNotAllowed, headers: [.allow: methods, .contentLength: "0"])
        response.headers[.contentType] = "text/plain; charset=utf-8"
        return response
    }

    // MARK: responses

    /// `Cache-Control` of a page rendered for nobody in particular: it still depends on who
    /// asks (no shared cache may keep it), and is revalidated before it is shown again.
    static let anonymousCacheControl = "private, no-cache"
    /// `Cache-Control` of every page rendered for a signed-in session (or a browser sending
    /// credentials): never stored, so once the session ends, Back cannot show a private
    /// repository, a settings form or a new token from the browser's cache. One rule for
    /// every page, so no page (settings, account, administration) needs its own.
    static let signedInCacheControl = "no-store"

    /// The `Cache-Control` of a page for a visitor who is, or is not, signed in.
    static func cacheControl(signedIn: Bool) -> String {
        signedIn ? signedInCacheControl : anonymousCacheControl
    }

    /// Headers every page carries: what it is, that it depends on who asks, and the policy
    /// that keeps anything but this server's own assets from running or loading. A page
    /// for a signed-in visitor is given ``signedInCacheControl`` instead on its way out.
    static let securityHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .cacheControl: anonymousCacheControl,
        .contentSecurityPolicy: "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "same-origin",
        .xFrameOptions: "DENY",
    ]

    func page(_ status: HTTPResponse.Status, _ model: WebView.NotFound) -> Response {
        page(status, model, template: "notfound")
    }

    func page(_ status: HTTPResponse.Status, _ model: Any, template: String) -> Response {
        let html = WebTemplates.render(model, template) ?? ""
        var headers = Self.securityHeaders
        headers[.contentLength] = String(html.utf8.count)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    func notFound(_ message: String, back: WebView.Link? = nil) -> WebView.NotFound {
        errorPage("Not found", message, back: back)
    }

    /// A page that says why nothing was shown or done, headed with what happened ("Not
    /// allowed", "Form expired", …) rather than always "Not found", with a way back to where
    /// the visitor came from when that is known.
    /// - Parameter comment: a refused comment's text, offered again in its form.
    func errorPage(
        _ heading: String, _ message: String, visitor: Visitor? = nil, back: WebView.Link? = nil, comment: WebView.CommentDraft? = nil
    ) -> WebView.NotFound {
        WebView.NotFound(chrome: chrome(heading, visitor: visitor), heading: heading, message: message, back: back, comment: comment)
    }

    private func asset(_ name: String, _ request: Request) -> Response {
        guard let asset = WebAssets.all[name] else { return page(.notFound, notFound("There is no page here.")) }
        let etag = "\"" + WebAssets.version + "\""
        var headers: HTTPFields = [
            .contentType: asset.contentType,
            .cacheControl: "public, max-age=31536000, immutable",
            .eTag: etag,
            .xContentTypeOptions: "nosniff",
        ]
        if request.ifNoneMatchNames(entityTag: WebAssets.version) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentLength] = String(asset.bytes.count)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }

    func chrome(_ title: String, query: String = "", visitor: Visitor? = nil) -> WebView.Chrome {
        WebView.Chrome(
            base: settings.prefix, title: title, query: query, assetVersion: WebAssets.version,
            user: visitor?.session == nil ? nil : visitor?.user, csrf: visitor?.session?.csrf ?? "",
            // Signing in from the header comes back to the page it was clicked on.
            loginURL: visitor?.page.map { link("/login", [("next", $0)]) } ?? link("/login"),
            isAdministrator: visitor.map { $0.session != nil && indexAPI.isAdministrator($0.principal) } ?? false
        )
    }

    /// The registry's address as clients pull from it: `http.host` when set, else as the
    /// browser reached this server (a proxy's `X-Forwarded-Host` first).
    func registryHost(_ request: Request) -> String {
        if let external = settings.externalURL, let url = URL(string: external), let host = url.host {
            return url.port.map { "\(host):\($0)" } ?? host
        }
        return URLAuthority.firstElement(of: request.headers[.xForwardedHost], URLAuthority.isValid) ?? request.head.authority ?? "localhost"
    }

    /// A path under the UI, with its query percent-encoded.
    func link(_ path: String, _ query: [(String, String)] = []) -> String {
        var url = settings.prefix + path
        if !query.isEmpty {
            url += "?" + query.map { "\($0.0)=\(Self.encode($0.1))" }.joined(separator: "&")
        }
        return url
    }

    /// The path of a repository's page; names keep their slashes.
    func repositoryLink(_ name: String) -> String {
        link("/r/" + name)
    }

    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// The last page of a list of `total` items, `pageSize` a page (1 for an empty list).
    static func lastPage(total: Int, pageSize: Int) -> Int {
        let size = max(1, pageSize)
        return max(1, (max(0, total) + size - 1) / size)
    }

    /// `requested` as a page of the list: a page past the last (a shared link to a list that
    /// shrank, a hand-typed number) is the last, so it shows items rather than nothing
    /// under a pager that marks the last page current.
    static func clampPage(_ requested: Int, total: Int, pageSize: Int) -> Int {
        min(max(requested, 1), lastPage(total: total, pageSize: pageSize))
    }

    /// Links to the pages of a list of `total` items, around `current`.
    static func pager(total: Int, pageSize: Int, current: Int, url: (Int) -> String) -> WebView.Pager? {
        let last = lastPage(total: total, pageSize: pageSize)
        guard last > 1 else { return nil }
        // A page past the last (a shared link to a list that shrank) links back into it.
        let current = min(current, last)
        var links = [WebView.PageLink]()
        if current > 1 { links.append(.init(url: url(current - 1), label: "Previous", current: false)) }
        for number in max(1, current - 4)...min(last, max(current + 4, 1)) {
            links.append(.init(url: url(number), label: String(number), current: number == current))
        }
        if current < last { links.append(.init(url: url(current + 1), label: "Next", current: false)) }
        return WebView.Pager(links: links)
    }

    func when(_ milliseconds: Int64?, now: Int64) -> WebView.When? {
        milliseconds.map { WebView.When(iso: IndexClock.format($0), ago: WebFormat.ago($0, now: now)) }
    }

    func card(_ hit: SearchResults.Hit, now: Int64) -> WebView.Card {
        WebView.Card(
            name: hit.name, url: repositoryLink(hit.name), description: hit.description, hasDescription: !hit.description.isEmpty,
            stars: WebFormat.count(hit.starCount), pulls: WebFormat.count(hit.pullCount, "pull", "pulls"), pushed: when(hit.pushedAt, now: now)
        )
    }
}
