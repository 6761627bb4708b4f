import Auth
import Foundation
import HTTPTypes
import Hummingbird
import Index
import IndexAPI
import NIOCore

/// Signing in and out, and the forms a signed-in visitor posts (star, comment).
///
/// A sign-in is a session in the index's database (any instance serves it) named by a
/// cookie that is `HttpOnly` (no script reads it), `SameSite=Lax` (no other site's form
/// sends it) and `Secure` over TLS. Every form carries the session's form token too, and a
/// post without it is refused: SameSite alone leaves older browsers and same-site hosts.
/// The sign-in form, posted before any session exists, is tied to a cookie of its own the
/// same way. Passwords are checked by the registry's own login door, with its throttle.
extension WebResponder {
    static let sessionCookie = "pier_session"
    static let loginCookie = "pier_login"

    /// Who is looking: a signed-in user (with their session), or what the request's
    /// credentials say (a script with Basic credentials), or nobody.
    struct Visitor {
        var principal: Principal
        var session: RepositoryIndex.WebSession?
        var secret: String?
        /// The page being shown (path and query), for the header's "Sign in" link to return
        /// to; nil where coming back makes no sense (a form's answer, the sign-in page).
        var page: String? = nil

        var user: String? { principal.identity.userName }

        /// Signed in, or sending credentials: what the page shows is this user's, so it is
        /// never stored (``WebResponder/signedInCacheControl``).
        var isIdentified: Bool { session != nil || user != nil }
    }

    func visitor(_ request: Request, _ context: Context) async -> Visitor {
        if let secret = Self.cookie(Self.sessionCookie, in: request),
           let session = try? await index.session(secret), stillAllowed(session) {
            return Visitor(principal: Principal(identity: .user(session.user)), session: session, secret: secret)
        }
        let principal = (try? await indexAPI.authenticate(request, context)) ?? .anonymous
        return Visitor(principal: principal, session: nil, secret: nil)
    }

    /// A session outlives no account and no password: a user removed from the file or
    /// disabled in the index, or given a new password in either, is signed out everywhere
    /// at once.
    func stillAllowed(_ session: RepositoryIndex.WebSession) -> Bool {
        guard let hash = currentPasswordHash(of: session.user) else { return false }
        return RepositoryIndex.credentialFingerprint(hash) == session.credential
    }

    /// The hash `user` signs in with now: the file's, else the index's.
    func currentPasswordHash(of user: String) -> String? {
        guard let logins else { return nil }
        return logins.store.passwordHash(of: user) ?? logins.directory?.passwordHash(of: user)
    }

    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }

    /// A `Set-Cookie` value for this UI's path; `maxAge` 0 removes the cookie.
    func setCookie(_ name: String, _ value: String, maxAge: Int, _ request: Request) -> String {
        var cookie = "\(name)=\(value); Path=\(settings.prefix.isEmpty ? "/" : settings.prefix); Max-Age=\(maxAge); HttpOnly; SameSite=Lax"
        if isSecure(request) { cookie += "; Secure" }
        return cookie
    }

    /// Whether the browser reached us over TLS: this listener's own, or a trusted proxy's.
    func isSecure(_ request: Request) -> Bool {
        settings.scheme == "https" || request.headers[.xForwardedProto]?.lowercased().hasPrefix("https") == true
    }

    /// The posted form (`application/x-www-form-urlencoded`, at most 512 KiB: an overview
    /// of the API's 25,000 characters, each percent-encoded, fits).
    func form(_ request: Request) async -> Query? {
        guard let buffer = try? await request.body.collect(upTo: 512 << 10) else { return nil }
        return Query(String(buffer: buffer))
    }

    func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers: HTTPFields = [.location: location, .contentLength: "0", .cacheControl: "no-store"]
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    /// A path on this UI to return to after signing in; anything else (another host, a
    /// scheme-relative `//host`) goes home.
    func returnPath(_ candidate: String?) -> String {
        // Browsers drop tabs and newlines from a URL and read `\` as `/`: `/\t/evil` would
        // become `//evil`, another host. Anything but a plain path of this UI goes home.
        guard let candidate, candidate.hasPrefix(settings.prefix + "/") || candidate == settings.prefix,
              !candidate.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F || $0 == "\\" }),
              !candidate.dropFirst(settings.prefix.count).hasPrefix("//")
        else { return settings.prefix + "/" }
        return candidate
    }

    // MARK: pages

    func login(_ request: Request, _ context: Context, _ visitor: Visitor) async throws -> Response {
        if request.method == .post {
            let form = await form(request)
            let next = returnPath(form?["next"])
            guard let form, let token = Self.cookie(Self.loginCookie, in: request), form["csrf"] == token else {
                return loginPage(request, next: next, error: "The sign-in form expired. Please try again.", status: .forbidden)
            }
            let user = form["user"] ?? ""
            let password = form["password"] ?? ""
            guard let logins, !user.isEmpty, !password.isEmpty, !user.unicodeScalars.contains(":") else {
                return loginPage(request, next: next, error: "Wrong user name or password.", status: .unauthorized, user: user)
            }
            let basic = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
            let principal: Principal
            do {
                principal = try await logins.authenticate(Substring(basic), scopes: [], client: indexAPI.client(of: request, context))
            } catch {
                if error.kind == .throttled {
                    return loginPage(request, next: next, error: "Too many failed sign-ins. Try again later.", status: .tooManyRequests, user: user)
                }
                return loginPage(request, next: next, error: "Wrong user name or password.", status: .unauthorized, user: user)
            }
            // A personal access token signs a client in, never a browser.
            guard principal.limit == nil, let name = principal.identity.userName else {
                return loginPage(request, next: next, error: "Sign in with your password, not a token.", status: .unauthorized, user: user)
            }
            guard let passwordHash = currentPasswordHash(of: name) else {
                return loginPage(request, next: next, error: "Wrong user name or password.", status: .unauthorized, user: user)
            }
            let (secret, _) = try await index.createSession(for: name, passwordHash: passwordHash)
            return redirect(next, cookies: [
                setCookie(Self.sessionCookie, secret, maxAge: Int(RepositoryIndex.sessionLifetime / 1000), request),
                setCookie(Self.loginCookie, "", maxAge: 0, request),
            ])
        }
        let query = Query(request.uri.query ?? "")
        return loginPage(request, next: returnPath(query["next"]), error: nil, status: .ok)
    }

    /// The sign-in form; after a refusal it keeps the user name typed (never the password).
    private func loginPage(_ request: Request, next: String, error: String?, status: HTTPResponse.Status, user: String = "") -> Response {
        let token = RepositoryIndex.randomHex(32)
        let model = WebView.Login(
            chrome: chrome("Sign in"), csrf: token, next: next, user: String(user.prefix(256)), error: error, available: logins != nil
        )
        var response = page(status, model, template: "login")
        response.headers.append(HTTPField(name: .setCookie, value: setCookie(Self.loginCookie, token, maxAge: 3600, request)))
        return response
    }

    func logout(_ request: Request, _ visitor: Visitor) async throws -> Response {
        guard request.method == .post else {
            return page(.ok, WebView.Logout(chrome: chrome("Sign out", visitor: visitor)), template: "logout")
        }
        guard let session = visitor.session, let secret = visitor.secret else { return redirect(settings.prefix + "/") }
        guard await form(request)?["csrf"] == session.csrf else { return expired(back: WebView.Link(label: "Back to the start", url: link("/"))) }
        try await index.deleteSession(secret)
        var response = redirect(settings.prefix + "/", cookies: [setCookie(Self.sessionCookie, "", maxAge: 0, request)])
        // Pages of the session are sent `no-store`; this also empties what a browser (or an
        // older page, from before that rule) kept, so Back shows nothing of the session.
        response.headers[.clearSiteData] = "\"cache\""
        return response
    }

    /// A form posted without its session's token (or with another session's): nothing
    /// changed. `back` leads to the page the form was on, when known.
    func expired(back: WebView.Link? = nil) -> Response {
        page(.forbidden, errorPage("Form expired", "This form has expired. Go back, reload the page and try again.", back: back))
    }

    /// A form post that changes a repository: a signed-in visitor, the session's form
    /// token, and a repository they may see; anything else changes nothing.
    private func posted(_ request: Request, _ name: String, _ visitor: Visitor) async -> (form: Query, user: String)? {
        guard request.method == .post, let session = visitor.session, let user = visitor.user,
              let form = await form(request), form["csrf"] == session.csrf, indexAPI.visible(name, to: visitor.principal),
              (try? await index.repository(name)) != nil
        else { return nil }
        return (form, user)
    }

    func star(_ request: Request, _ name: String, _ visitor: Visitor) async throws -> Response {
        guard let (_, user) = await posted(request, name, visitor) else { return await refusal(request, name, visitor) }
        if try await index.hasStarred(user, name) {
            try await index.unstar(name, by: user)
        } else {
            try await index.star(name, by: user)
        }
        return redirect(repositoryLink(name))
    }

    func comment(_ request: Request, _ name: String, _ visitor: Visitor) async throws -> Response {
        guard let (form, _) = await posted(request, name, visitor) else { return await refusal(request, name, visitor) }
        let added: RepositoryComment
        do {
            added = try await indexAPI.postComment(form["body"] ?? "", on: name, by: visitor.principal)
        } catch let refusal as IndexResponder.CommentRefusal {
            let status: HTTPResponse.Status = refusal.retryAfter == nil ? .badRequest : .tooManyRequests
            // The text is offered again in its form: a refusal must not cost what was typed.
            let draft = WebView.CommentDraft(url: link("/r/\(name)/-/comments"), body: form["body"] ?? "")
            var response = page(status, errorPage(
                "Could not post your comment", Self.sentence(refusal.message), visitor: visitor,
                back: WebView.Link(label: "Back to \(name)", url: repositoryLink(name) + "#comments-heading"), comment: draft
            ))
            if let wait = refusal.retryAfter { response.headers[.retryAfter] = String(wait) }
            return response
        }
        // Comments are oldest first: the new one is on the last page, shown at its anchor.
        let total = try await index.comments(name, limit: 1, offset: 0).total
        let last = Self.lastPage(total: total, pageSize: Self.commentPageSize)
        return redirect(link("/r/" + name, [("comments_page", String(last))]) + "#comment-\(added.id)")
    }

    /// An API message (`a comment is 1 to 5000 characters`) as a sentence on a page.
    static func sentence(_ text: String) -> String {
        guard let first = text.first else { return text }
        let capitalized = first.uppercased() + text.dropFirst()
        return capitalized.hasSuffix(".") ? capitalized : capitalized + "."
    }

    /// Why a post changed nothing: not a post, not signed in, a stale form, or a
    /// repository the visitor may not see (the same 404 as a missing one).
    private func refusal(_ request: Request, _ name: String, _ visitor: Visitor) async -> Response {
        guard request.method == .post else { return notAllowed("POST") }
        guard visitor.session != nil else { return redirect(link("/login", [("next", repositoryLink(name))])) }
        guard indexAPI.visible(name, to: visitor.principal), (try? await index.repository(name)) != nil else {
            return page(.notFound, notFound("No repository \(name) here, or it is not yours to see."))
        }
        return expired(back: WebView.Link(label: "Back to \(name)", url: repositoryLink(name)))
    }
}
