import Auth
import Foundation
import Hummingbird
import HTTPTypes
import Index
import Logging
import NIOCore
import OCI
import Registry
import RegistryAPI
import Webhooks

/// The index's doors: the JSON API under `/api/v1/` and the Docker CLI's `/v1/_ping` and
/// `/v1/search` (what `docker search` asks). Every answer is filtered by what the caller
/// may pull: a repository the caller may not see is answered exactly like one that does
/// not exist.
public struct IndexResponder: Sendable {
    public typealias Context = PierRequestContext

    let index: RepositoryIndex
    /// Who is calling and what they may see; nil lets everyone see everything.
    let access: AccessController?
    let logger: Logger

    /// Comments a user may post per minute, on this instance.
    let postingLimit = PostingLimit()

    /// The longest short description, the one an image's annotation is cut to as well.
    static let descriptionLimit = OneLineText.descriptionLimit
    /// The longest overview, in Unicode scalars (Docker Hub's limit).
    static let overviewLimit = 25_000
    /// The longest comment, in Unicode scalars.
    public static let commentLimit = 5_000

    /// Repository webhooks; nil when they are not delivered (a command without a server).
    let webhooks: WebhookDispatcher?

    /// Where the registry's users log in (the htpasswd file, with the index's own users
    /// beside it); nil when nobody logs in with a password here.
    let logins: HtpasswdProvider?

    /// The registry whose repositories `DELETE /api/v1/repositories/{name}` removes; nil
    /// where there is none to change (a command).
    let registry: Registry?

    /// `http.prefix`: the index's paths live under it as `/v2/` does, so one reverse-proxy
    /// location carries the whole registry; links it answers carry it too.
    let pathPrefix: String

    public init(
        index: RepositoryIndex, access: AccessController?, logins: HtpasswdProvider? = nil, registry: Registry? = nil,
        webhooks: WebhookDispatcher? = nil, pathPrefix: String = "", logger: Logger
    ) {
        self.index = index
        self.pathPrefix = pathPrefix
        self.registry = registry
        self.access = access
        self.logins = logins
        self.webhooks = webhooks
        self.logger = logger
    }

    /// Whether `path` (without its query) is one of the index's, under `http.prefix`, so the
    /// front dispatcher hands it here.
    public func handles(_ path: Substring) -> Bool {
        guard let path = unprefixed(path) else { return false }
        return path.hasPrefix("/api/v1/") || path == "/v1/_ping" || path == "/v1/search"
    }

    /// `path` without `http.prefix`; nil when it is not under it.
    private func unprefixed(_ path: Substring) -> Substring? {
        guard !pathPrefix.isEmpty else { return path }
        guard path.hasPrefix(pathPrefix) else { return nil }
        let rest = path.dropFirst(pathPrefix.count)
        return rest.hasPrefix("/") ? rest : nil
    }

    /// Answers an index request; every failure becomes the registry's JSON error shape.
    /// `user` is set to the caller's name once known, for the access log.
    public func respond(to request: Request, context: Context, route: inout String, user: inout String?) async -> Response {
        let full = request.pathWithoutQuery
        let path = unprefixed(full) ?? full
        do {
            // A wrong method is told first, whatever else is wrong with the request.
            if let methods = IndexRouteTable.index.methods(for: Substring(path)), !methods.contains(request.method) {
                throw RegistryError(.unsupported, "method not allowed on this endpoint")
            }
            // A POST is the one change another site's page can send without a preflight,
            // and a browser that remembers Basic credentials for this host sends them along:
            // every POST must say it is JSON, a body or not (`…/redeliver` has none).
            if request.method == .post,
               request.headers[.contentType]?.lowercased().hasPrefix("application/json") != true {
                throw JSONFields.invalid("send POST requests as application/json (Content-Type: application/json)")
            }
            let caller = try await authenticate(request, context)
            user = caller.identity.userName
            return try await dispatch(request, Substring(path), caller, route: &route)
        } catch {
            return failure(error, request, path: path)
        }
    }

    /// Answers an API request for a caller already known (a web UI session): the web UI's
    /// forms go through the API's own code, with its rules, checks and errors, rather than a
    /// second copy of them.
    public func respond(to request: Request, as caller: Principal) async -> Response {
        let full = request.pathWithoutQuery
        let path = unprefixed(full) ?? full
        var route = ""
        do {
            return try await dispatch(request, Substring(path), caller, route: &route)
        } catch {
            return failure(error, request, path: path)
        }
    }

    /// Every failure in the registry's JSON error shape.
    private func failure(_ error: any Error, _ request: Request, path: Substring) -> Response {
        switch error {
        case let failure as AuthFailure:
            return RegistryResponder.refusal(failure, request, challenge: access?.challenge(for: failure) ?? "")
        case let error as RegistryError:
            var response = error.response(for: request.method)
            // RFC 9110 requires `Allow` on every 405: what the endpoint does answer, never the
            // method refused (one the endpoint takes, refused by the configuration, such as a
            // repository's deletion with deletes off), as `/v2/` answers.
            if error.status == 405, let methods = IndexRouteTable.index.methods(for: path) {
                response.headers[.allow] = IndexRouteTable.allowHeader(methods.filter { $0 != request.method })
            }
            return response
        default:
            logger.error("index request failed", metadata: ["path": "\(path)", "error": "\(error)"])
            return RegistryError(.unavailable, "the index is not available right now", status: 503).response(for: request.method)
        }
    }

    /// The caller: anonymous when no credentials were sent (public things stay readable),
    /// refused when wrong credentials were. Public so the web UI asks the same question.
    ///
    /// With `auth.token` and Pier's own token server, Basic with the token server's users
    /// is taken too, as the token server itself takes it: managing an account asks for its
    /// password, which a bearer token never proves.
    public func authenticate(_ request: Request, _ context: Context) async throws -> Principal {
        guard let access else { return .anonymous }
        let header = request.headers[.authorization].map { Substring($0) }
        let client = RegistryResponder.client(of: request, context, access)
        if let logins, let header, header.prefix(6).lowercased() == "basic ", !(access.provider is HtpasswdProvider) {
            return try await logins.authenticate(header, scopes: [], client: client)
        }
        return try await access.provider.authenticate(header, scopes: [], client: client)
    }

    /// The client's address as the login throttle counts it (a trusted proxy's word for it
    /// when there is one), for every door that checks passwords.
    public func client(of request: Request, _ context: Context) -> String {
        guard let access else { return context.channel.remoteAddress.map { $0.ipAddress ?? $0.description } ?? "unknown" }
        return RegistryResponder.client(of: request, context, access)
    }

    /// Whether `caller` may see `repository`: whether it may pull it, by the policy for a
    /// user and by the token's own claims for a token (whatever the catalog's rule).
    public func visible(_ repository: String, to caller: Principal) -> Bool {
        guard let access else { return true }
        return access.allows(caller, .repository(repository, .pull))
    }

    /// Whether `caller` may do `actions` in `repository` (everyone may, without `auth`).
    /// Administering a repository is all three actions, as the API's settings routes ask.
    public func allows(_ caller: Principal, _ actions: AccessActions, on repository: String) -> Bool {
        guard let access else { return true }
        return access.allows(caller, .repository(repository, actions))
    }

    /// Whether `caller` is one of the registry's administrators (`access.admins`), signed in
    /// with a password rather than a token: who manages users and organisations.
    public func isAdministrator(_ caller: Principal) -> Bool {
        guard caller.provedPassword, let user = caller.identity.userName else { return false }
        return access?.policy.admins.contains(user) == true
    }

    /// The filter search needs for `caller`; nil when everyone sees everything (no `auth`),
    /// so the database pages the results itself.
    public func visibility(for caller: Principal) -> (@Sendable (String) -> Bool)? {
        guard access != nil else { return nil }
        return { visible($0, to: caller) }
    }

    private func dispatch(_ request: Request, _ path: Substring, _ caller: Principal, route: inout String) async throws -> Response {
        let query = Query(request.uri.query ?? "")
        switch path {
        case "/v1/_ping":
            route = "v1_ping"
            var response = try json(true)
            response.headers[.xDockerRegistryVersion] = "0.6.0"
            response.headers[.xDockerRegistryStandalone] = "true"
            return response
        case "/api/v1/openapi.json":
            route = "api_openapi"
            try requireGet(request)
            let data = Array(OpenAPIDocument.json.utf8)
            return Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(data.count)],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        case "/v1/search":
            route = "v1_search"
            try requireGet(request)
            let size = min(max(query.int("n") ?? 25, 1), 100)
            let page = min(max(query.int("page") ?? 1, 1), Query.maximumPage)
            let term = query["q"] ?? ""
            let results = try await index.search(term, visible: visibility(for: caller), limit: size, offset: (page - 1) * size)
            return try json(DockerSearch(
                query: term, numResults: results.total, numPages: (results.total + size - 1) / size, page: page, pageSize: size,
                // One line, as a terminal shows it: descriptions stored by earlier versions
                // may still hold an image annotation's escape sequences.
                results: results.hits.map {
                    .init(
                        name: $0.name, description: OneLineText.cleaned($0.description, maximum: OneLineText.descriptionLimit),
                        starCount: $0.starCount, isOfficial: false, isAutomated: false
                    )
                }
            ))
        case "/api/v1/search":
            route = "api_search"
            try requireGet(request)
            let (page, size) = try query.paging()
            let term = query["q"] ?? ""
            let results = try await index.search(term, visible: visibility(for: caller), limit: size, offset: (page - 1) * size)
            var response = try json(PageBody(
                count: results.total, page: page, pageSize: size,
                results: results.hits.map { SearchHit(name: $0.name, description: $0.description, starCount: $0.starCount, pullCount: $0.pullCount) }
            ))
            if page * size < results.total {
                response.headers[.link] = "<\(pathPrefix)/api/v1/search?q=\(Query.escape(term))&page=\(page + 1)&page_size=\(size)>; rel=\"next\""
            }
            return response
        default:
            break
        }
        if path.hasPrefix("/api/v1/repositories/") {
            return try await repositoryRoute(request, path.dropFirst("/api/v1/repositories/".count), query, caller, route: &route)
        }
        if path == "/api/v1/orgs" || path.hasPrefix("/api/v1/orgs/") {
            return try await organizationsRoute(request, path.dropFirst("/api/v1/orgs".count).drop(while: { $0 == "/" }), caller, route: &route)
        }
        if path == "/api/v1/tokens" || path.hasPrefix("/api/v1/tokens/") {
            return try await tokensRoute(request, path.dropFirst("/api/v1/tokens".count), caller, route: &route)
        }
        if path == "/api/v1/users" || path.hasPrefix("/api/v1/users/") {
            return try await usersRoute(request, path.dropFirst("/api/v1/users".count), caller, route: &route)
        }
        throw RegistryError(.unsupported, "no such index endpoint", status: 404)
    }

    private func repositoryRoute(_ request: Request, _ rest: Substring, _ query: Query, _ caller: Principal, route: inout String) async throws -> Response {
        // Repository names hold slashes: the endpoint is the last segment(s), as /v2/ resolves it.
        let (name, endpoint, item, subitem) = Self.split(rest)
        var commentID: Int64?
        if endpoint == "comment" {
            guard let item, let number = Int64(item), number > 0, item.allSatisfy(\.isASCII) else {
                throw RegistryError(.notFound, "no such comment")
            }
            commentID = number
        }
        guard let repository = RepositoryName(name) else {
            throw RegistryError(.nameInvalid, "invalid repository name")
        }
        let fullName = repository.description
        // Invisible and missing answer alike.
        guard visible(fullName, to: caller), let summary = try await index.repository(fullName) else {
            throw RegistryError(.nameUnknown, "repository name not known to registry")
        }
        switch endpoint {
        case "":
            route = "api_repository"
            if request.method == .delete {
                try requireAdministration(fullName, caller)
                guard let registry else { throw RegistryError(.unavailable, "repositories cannot be deleted here", status: 503) }
                let origin = RequestOrigin(
                    actor: caller.identity.userName, host: request.head.authority ?? "", method: "DELETE",
                    userAgent: request.headers[.userAgent] ?? ""
                )
                do {
                    _ = try await registry.deleteRepository(repository, origin: origin)
                } catch let error as RegistryError where error.code == .nameUnknown {
                    // Known to the index, gone from storage (deleted by hand): forget it still.
                }
                try await index.forgetRepository(fullName)
                await webhooks?.reload()
                return Response(status: .noContent)
            }
            if request.method == .patch {
                try requireAdministration(fullName, caller)
                let fields = try await JSONFields.read(request, limit: Self.overviewLimit * 6 + 4096, allowed: ["description", "overview", "visibility"])
                let description = try fields.string("description", maximum: Self.descriptionLimit)
                let overview = try fields.string("overview", maximum: Self.overviewLimit, multiline: true)
                let visibility = try fields.string("visibility", maximum: 16).map { value in
                    guard index.grants != nil else { throw JSONFields.invalid("visibility needs index.namespaces: true") }
                    guard let visibility = NamespaceGrants.Visibility(rawValue: value) else {
                        throw JSONFields.invalid("'visibility' must be public or private")
                    }
                    return visibility
                }
                if visibility != nil { try requireLastingGrant(caller) }
                // Everything is checked before anything is written.
                try await index.describe(fullName, description: description, overview: overview)
                if let visibility { try await index.setVisibility(fullName, visibility) }
                guard let updated = try await index.repository(fullName) else {
                    throw RegistryError(.nameUnknown, "repository name not known to registry")
                }
                return try await repositoryBody(updated, caller)
            }
            try requireGet(request)
            return try await repositoryBody(summary, caller)
        case "comments":
            route = "api_comments"
            if request.method == .post {
                _ = try postingUser(caller)
                let fields = try await JSONFields.read(request, limit: Self.commentLimit * 6 + 1024, allowed: ["body"])
                guard let body = try fields.string("body", maximum: Self.commentLimit, multiline: true),
                      !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                    throw JSONFields.invalid("'body' must be a non-empty string")
                }
                let comment: RepositoryComment
                do {
                    comment = try await postComment(body, on: fullName, by: caller)
                } catch let refusal as CommentRefusal {
                    var error = RegistryError(.tooManyRequests, refusal.message)
                    error.detail = "at most \(postingLimit.allowance) comments a minute"
                    var response = error.response(for: request.method)
                    response.headers[.retryAfter] = refusal.retryAfter.map(String.init)
                    return response
                }
                var response = try json(CommentBody(comment))
                response.status = .created
                return response
            }
            try requireGet(request)
            let (page, size) = try query.paging()
            let (comments, total) = try await index.comments(fullName, limit: size, offset: (page - 1) * size)
            var response = try json(PageBody(count: total, page: page, pageSize: size, results: comments.map(CommentBody.init)))
            if page * size < total {
                response.headers[.link] = "<\(pathPrefix)/api/v1/repositories/\(fullName)/comments?page=\(page + 1)&page_size=\(size)>; rel=\"next\""
            }
            return response
        case "collaborators":
            route = "api_collaborators"
            try requireGet(request)
            try requireAdministration(fullName, caller)
            let collaborators = try await index.collaborators(fullName)
            return try json(["results": collaborators.map { CollaboratorBody(user: $0.user, role: $0.role.rawValue, grantedAt: IndexClock.format($0.grantedAt), grantedBy: $0.grantedBy) }])
        case "collaborator":
            route = "api_collaborator"
            try requireAdministration(fullName, caller)
            try requireLastingGrant(caller)
            guard index.grants != nil else { throw JSONFields.invalid("collaborators need index.namespaces: true") }
            guard let item, let user = Self.userName(item) else { throw JSONFields.invalid("not a user name") }
            switch request.method {
            case .put:
                let fields = try await JSONFields.read(request, limit: 1024, allowed: ["role"])
                guard let value = try fields.string("role", maximum: 16), let role = NamespaceGrants.Role(rawValue: value) else {
                    throw JSONFields.invalid("'role' must be read, write or admin")
                }
                let granter = caller.identity.userName ?? ""
                try await index.setCollaborator(fullName, user, role, by: granter)
                return try json(CollaboratorBody(user: user, role: role.rawValue, grantedAt: IndexClock.format(IndexClock.now()), grantedBy: granter))
            case .delete:
                guard try await index.removeCollaborator(fullName, user) else {
                    throw RegistryError(.notFound, "\(user) is not a collaborator")
                }
                return Response(status: .noContent)
            default:
                throw RegistryError(.unsupported, "use PUT or DELETE")
            }
        case "webhooks", "webhook", "deliveries", "redeliver":
            route = "api_" + endpoint
            try requireAdministration(fullName, caller)
            if request.method != .get, request.method != .head { try requireLastingGrant(caller) }
            guard let webhooks else { throw RegistryError(.unavailable, "webhooks are not available", status: 503) }
            return try await webhookRoute(
                request, query, endpoint, scope: .repository, target: fullName, item.map(String.init), subitem.map(String.init), caller, webhooks
            )
        case "comment":
            route = "api_comment"
            guard let commentID, let comment = try await index.comment(commentID, on: fullName) else {
                throw RegistryError(.notFound, "no such comment")
            }
            if request.method == .get || request.method == .head { return try json(CommentBody(comment)) }
            // Its author, or whoever administers the repository.
            let user = try postingUser(caller)
            if user != comment.author { try requireAdministration(fullName, caller) }
            switch request.method {
            case .patch:
                let fields = try await JSONFields.read(request, limit: Self.commentLimit * 6 + 1024, allowed: ["body"])
                guard let body = try fields.string("body", maximum: Self.commentLimit, multiline: true),
                      !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                    throw JSONFields.invalid("'body' must be a non-empty string")
                }
                guard let edited = try await index.editComment(commentID, on: fullName, body: body) else {
                    throw RegistryError(.notFound, "no such comment")
                }
                return try json(CommentBody(edited))
            case .delete:
                try await index.deleteComment(commentID, on: fullName)
                return Response(status: .noContent)
            default:
                throw RegistryError(.unsupported, "use GET, PATCH or DELETE")
            }
        case "tags":
            route = "api_tags"
            try requireGet(request)
            let (page, size) = try query.paging()
            let sort = query["sort"] ?? "pushed"
            guard let order = TagSummary.Order(rawValue: sort) else {
                throw RegistryError(.unsupported, "sort must be pushed, name or size", status: 400)
            }
            let tags = try await index.tags(fullName, order: order, limit: size, offset: (page - 1) * size)
            var response = try json(PageBody(count: Int(summary.tagCount), page: page, pageSize: size, results: tags.map(TagBody.init)))
            if Int64(page * size) < summary.tagCount {
                response.headers[.link] = "<\(pathPrefix)/api/v1/repositories/\(fullName)/tags?sort=\(sort)&page=\(page + 1)&page_size=\(size)>; rel=\"next\""
            }
            return response
        default:
            route = "api_star"
            let user = try postingUser(caller)
            switch request.method {
            case .put:
                do {
                    try await index.star(fullName, by: user)
                } catch {
                    // Deleted meanwhile (the star's row then breaks its foreign key): what
                    // the client is told of a repository that is not there, not a 503.
                    let stillThere: Bool? = try? await index.repository(fullName) != nil
                    if stillThere == false {
                        throw RegistryError(.nameUnknown, "repository name not known to registry")
                    }
                    throw error
                }
            case .delete: try await index.unstar(fullName, by: user)
            default: throw RegistryError(.unsupported, "use PUT or DELETE")
            }
            return Response(status: .noContent)
        }
    }

    /// `rest` (after `/api/v1/repositories/`) as the repository name, the endpoint and the
    /// items it names: `…/comments/{id}`, `…/collaborators/{user}`, `…/webhooks/{id}`,
    /// `…/webhooks/{id}/deliveries` and `…/webhooks/{id}/deliveries/{delivery}/redeliver`.
    /// Read from the right, as `/v2/` reads its routes, since names hold slashes.
    static func split(_ rest: Substring) -> (name: Substring, endpoint: String, item: Substring?, subitem: Substring?) {
        for suffix in ["/tags", "/star", "/comments", "/collaborators", "/webhooks"] where rest.hasSuffix(suffix) {
            return (rest.dropLast(suffix.count), String(suffix.dropFirst()), nil, nil)
        }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        func name(dropping count: Int) -> Substring {
            let kept = parts.dropLast(count)
            guard let last = kept.last else { return "" }
            return rest[rest.startIndex..<last.endIndex]
        }
        let n = parts.count
        if n >= 6, parts[n - 1] == "redeliver", parts[n - 3] == "deliveries", parts[n - 5] == "webhooks" {
            return (name(dropping: 5), "redeliver", parts[n - 4], parts[n - 2])
        }
        if n >= 4, parts[n - 1] == "deliveries", parts[n - 3] == "webhooks" {
            return (name(dropping: 3), "deliveries", parts[n - 2], nil)
        }
        if n >= 3 {
            for (collection, endpoint) in [("comments", "comment"), ("collaborators", "collaborator"), ("webhooks", "webhook")]
            where parts[n - 2] == collection {
                return (name(dropping: 2), endpoint, parts[n - 1], nil)
            }
        }
        return (rest, "", nil, nil)
    }

    /// The repository with what the caller may want of it: whether they starred it, and
    /// its overview as HTML that a page may show as is.
    private func repositoryBody(_ summary: RepositorySummary, _ caller: Principal) async throws -> Response {
        let starred = try await caller.identity.userName.asyncMap { try await index.hasStarred($0, summary.name) } ?? false
        return try json(RepositoryBody(summary, starred: starred, visibility: index.grants?.visibility(of: summary.name)))
    }

    /// Whether `caller` administers `repository` (edits what the index holds of it,
    /// moderates its comments): whoever may pull, push and delete it. Without `auth`,
    /// distribution's rule: everyone may do everything.
    private func requireAdministration(_ repository: String, _ caller: Principal) throws {
        guard let access, !access.allows(caller, .repository(repository, .all)) else { return }
        if caller.identity.userName == nil {
            throw AuthFailure(.missingCredentials, "log in to change this repository")
        }
        throw RegistryError(.denied, "only the repository's administrators may do this")
    }

    /// Refuses a bearer token what outlives it: a collaborator added, a repository made
    /// public, a webhook that would hear every later push. A token whose claim gives it a
    /// repository for minutes (one a proxy or a log saw) must not turn that into access
    /// for good; the password, or a personal access token chosen for it, may.
    private func requireLastingGrant(_ caller: Principal) throws {
        if caller.tokenAccess != nil {
            throw RegistryError(.denied, "a registry token cannot grant lasting access: use your password or a personal access token")
        }
    }

    /// Why a comment was not posted, in words a person can act on.
    public struct CommentRefusal: Error, Sendable {
        public let message: String
        /// Seconds until the poster may try again, when they posted too often.
        public let retryAfter: Int?
    }

    /// Posts `text` as `caller`'s comment on `repository` (which the caller must be able to
    /// see) under the API's rules, for every door that takes comments: a signed-in user with
    /// write rights, 1 to ``commentLimit`` characters (Unicode scalars: one character can
    /// hold any number of combining marks), at most a few a minute.
    public func postComment(_ text: String, on repository: String, by caller: Principal) async throws -> RepositoryComment {
        let author = try postingUser(caller)
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, text.unicodeScalars.count <= Self.commentLimit else {
            throw CommentRefusal(message: "a comment is 1 to \(Self.commentLimit) characters", retryAfter: nil)
        }
        if let wait = postingLimit.admit(author, now: IndexClock.now()) {
            throw CommentRefusal(message: "too many comments; try again in \(wait) s", retryAfter: wait)
        }
        return try await index.addComment(text, by: author, on: repository)
    }

    /// The user posting (a comment, a star): anonymous callers may read, not write, and a
    /// read-only token only reads.
    public func postingUser(_ caller: Principal) throws -> String {
        guard let user = caller.identity.userName else {
            throw AuthFailure(.missingCredentials, "log in first")
        }
        if let limit = caller.limit, !limit.contains(.push) {
            throw RegistryError(.denied, "this token is read-only")
        }
        return user
    }

    /// `/api/v1/tokens[/{id}]`: the caller's personal access tokens. Managed with a
    /// password only: a leaked token cannot make itself another.
    private func tokensRoute(_ request: Request, _ rest: Substring, _ caller: Principal, route: inout String) async throws -> Response {
        guard let user = caller.identity.userName else {
            throw AuthFailure(.missingCredentials, "log in to manage tokens")
        }
        guard caller.provedPassword else {
            throw RegistryError(.denied, "tokens are managed with your password, not with a token")
        }
        if rest.isEmpty {
            route = "api_tokens"
            if request.method == .post {
                let fields = try await JSONFields.read(request, limit: 4096, allowed: ["name", "scopes", "expires_in_days"])
                guard let name = try fields.string("name", maximum: 100), !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw JSONFields.invalid("'name' must be a non-empty string of at most 100 characters")
                }
                let words = try fields.strings("scopes", maximum: 3) ?? []
                let scopes = try words.map { word in
                    guard let scope = AccessToken.Scope(rawValue: word) else { throw JSONFields.invalid("'\(word)' is not one of read, write, delete") }
                    return scope
                }
                guard !scopes.isEmpty else { throw JSONFields.invalid("'scopes' must name at least one of read, write, delete") }
                let days = try fields.integer("expires_in_days", in: 1...3650)
                let expiresAt = days.map { IndexClock.now() + Int64($0) * 86_400_000 }
                let (token, record) = try await index.createToken(for: user, name: name, scopes: scopes, expiresAt: expiresAt)
                var body = TokenBody(record)
                body.token = token
                var response = try json(body)
                response.status = .created
                response.headers[.cacheControl] = "no-store"
                return response
            }
            try requireGet(request)
            return try json(["results": try await index.tokens(of: user).map(TokenBody.init)])
        }
        route = "api_token"
        let id = String(rest.dropFirst())
        guard request.method == .delete else { throw RegistryError(.unsupported, "use DELETE") }
        guard id.count <= 64, try await index.revokeToken(id, of: user) else {
            throw RegistryError(.notFound, "no such token")
        }
        return Response(status: .noContent)
    }

    /// `text` when it can be a user name (as htpasswd and tokens carry them): printable,
    /// no `:` or `/`, at most 128 characters.
    /// `text` as a user name the index accepts (no spaces, controls, `:` or `/`); nil when
    /// it cannot be one.
    public static func userName(_ text: Substring) -> String? {
        guard !text.isEmpty, text.count <= 128,
              !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || $0 == ":" || $0 == "/" })
        else { return nil }
        return String(text)
    }

    func requireGet(_ request: Request) throws {
        guard request.method == .get || request.method == .head else {
            throw RegistryError(.unsupported, "method not allowed")
        }
    }

    func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(value)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(data.count)],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
