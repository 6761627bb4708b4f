import Auth
import Foundation
import HTTPTypes
import Hummingbird
import Index
import IndexAPI
import Markdown
import OCI
import Registry

/// A repository's settings and a user's account: every read and change goes through the
/// index API's code (``WebResponder/api(_:_:_:as:)``), so a page can do exactly what the
/// API lets the same user do. Changes answer with a redirect back to the page (a reload
/// never posts twice); a refusal shows the page again with the API's reason.
extension WebResponder {
    /// What a change did, by the code a redirect carries (never text from the request, so a
    /// crafted link cannot put words on the page).
    static let notices: [String: String] = [
        "describe": "Description and overview saved.",
        "visibility": "Visibility changed.",
        "add-collaborator": "Collaborator saved.",
        // A name nobody signs in with yet is allowed (the account may come later), but the
        // page says so: a typo would otherwise look like a success.
        "add-collaborator-unknown": "Collaborator saved; no account has this name yet.",
        "remove-collaborator": "Collaborator removed.",
        "add-webhook": "Webhook created.",
        "delete-webhook": "Webhook deleted.",
        "redeliver": "Delivery sent again.",
        "delete-tag": "Tag deleted.",
        "password": "Password changed.",
        "revoke-token": "Token revoked.",
        "create-user": "User created.",
        "disable-user": "User disabled.",
        "enable-user": "User enabled.",
        "create-org": "Organisation created.",
    ]

    /// - Parameter draft: a description and overview typed but not saved (a preview, or a
    ///   change the API refused), shown back in the form so nothing typed is lost.
    /// - Parameter preview: whether to show the draft's overview rendered (the editor's
    ///   Preview button, which needs no script).
    func repositorySettings(
        _ name: String, _ request: Request, _ visitor: Visitor, error: String? = nil, status: HTTPResponse.Status = .ok,
        draft: (description: String, overview: String)? = nil, preview: Bool = false
    ) async throws -> Response {
        guard indexAPI.visible(name, to: visitor.principal), try await index.repository(name) != nil else {
            return page(.notFound, notFound("No repository \(name) here, or it is not yours to see."))
        }
        guard visitor.session != nil else { return redirect(link("/login", [("next", link("/r/\(name)/settings"))])) }
        guard let summary = try await index.repository(name) else {
            return page(.notFound, notFound("No repository \(name) here, or it is not yours to see."))
        }
        let collaborators = await api(.get, "/repositories/\(name)/collaborators", as: visitor)
        guard collaborators.ok else {
            return page(.forbidden, errorPage(
                "Not allowed", "Only the administrators of \(name) can change its settings.", visitor: visitor,
                back: WebView.Link(label: "Back to \(name)", url: repositoryLink(name))
            ))
        }
        let now = IndexClock.now()
        var hooks = [WebView.Hook]()
        let webhooks = await api(.get, "/repositories/\(name)/webhooks", as: visitor)
        for hook in webhooks.results {
            let id = hook["id"] as? String ?? ""
            let deliveries = await api(.get, "/repositories/\(name)/webhooks/\(id)/deliveries?page_size=10", as: visitor).results
            hooks.append(WebView.Hook(
                id: id, url: hook["url"] as? String ?? "", events: (hook["events"] as? [String] ?? []).joined(separator: ", "),
                active: hook["active"] as? Bool ?? false,
                createdBy: (hook["created_by"] as? String).flatMap { $0.isEmpty ? nil : $0 },
                deliveries: deliveries.map { delivery in
                    WebView.Delivery(
                        hookID: id, id: delivery["id"] as? String ?? "", event: delivery["event"] as? String ?? "",
                        status: (delivery["status"] as? Int).map { $0 == 0 ? "no answer" : "HTTP \($0)" } ?? "",
                        succeeded: delivery["succeeded"] as? Bool ?? false,
                        at: (delivery["delivered_at"] as? String).flatMap(IndexClock.parse).flatMap { when($0, now: now) }
                            ?? .init(iso: "", ago: ""),
                        error: (delivery["error"] as? String).flatMap { $0.isEmpty ? nil : $0 }
                    )
                }
            ))
        }
        let visibility = index.grants?.visibility(of: name)
        let notice = Query(request.uri.query ?? "")["done"].flatMap { Self.notices[$0] }
        let model = WebView.RepositorySettings(
            chrome: chrome("Settings · \(name)", visitor: visitor),
            name: name,
            repositoryURL: repositoryLink(name),
            actionURL: link("/r/\(name)/-/settings"),
            notice: notice,
            error: error,
            description: draft?.description ?? summary.description,
            overview: draft?.overview ?? summary.overview,
            previewHTML: preview ? draft.map { SafeMarkdown().html($0.overview) } : nil,
            hasVisibility: visibility != nil,
            isPublic: visibility == .public,
            collaborators: collaborators.results.map { row in
                WebView.Collaborator(user: row["user"] as? String ?? "", role: row["role"] as? String ?? "")
            },
            webhooksAvailable: webhooks.ok,
            webhooks: hooks,
            events: Webhook.Event.allCases.map(\.rawValue),
            tags: try await index.tags(name, order: .name, limit: 1000, offset: 0).map(\.name)
        )
        return page(status, model, template: "repository-settings")
    }

    func repositoryChange(_ request: Request, _ name: String, _ visitor: Visitor) async throws -> Response {
        guard request.method == .post else { return notAllowed("POST") }
        guard let session = visitor.session else { return redirect(link("/login", [("next", link("/r/\(name)/settings"))])) }
        guard indexAPI.visible(name, to: visitor.principal) else {
            return page(.notFound, notFound("No repository \(name) here, or it is not yours to see."))
        }
        guard let form = await form(request), form["csrf"] == session.csrf else {
            return expired(back: WebView.Link(label: "Back to the settings of \(name)", url: link("/r/\(name)/settings")))
        }
        let base = "/repositories/\(name)"
        let action = form["action"] ?? ""
        // What the redirect tells the page to say: the action's own notice, or a more
        // precise one.
        var done = action
        let answer: APIAnswer
        switch action {
        case "describe" where form["preview"] != nil:
            return try await repositorySettings(name, request, visitor, draft: (form["description"] ?? "", form["overview"] ?? ""), preview: true)
        case "describe":
            answer = await api(.patch, base, ["description": form["description"] ?? "", "overview": form["overview"] ?? ""], as: visitor)
        case "visibility":
            answer = await api(.patch, base, ["visibility": form["visibility"] ?? ""], as: visitor)
        case "add-collaborator":
            let user = Self.pathSegment(form["user"])
            // The owner of a personal namespace already may do everything in it: a role
            // would change nothing, and saying "saved" would suggest it did.
            if let owner = NamespaceGrants.owner(of: name), owner == user, index.grants?.isOrganization(String(owner)) != true {
                return try await repositorySettings(
                    name, request, visitor, error: "\(user) owns \(name) and needs no collaborator role.", status: .badRequest
                )
            }
            answer = await api(.put, "\(base)/collaborators/\(user)", ["role": form["role"] ?? ""], as: visitor)
            if answer.ok, !hasAccount(user) { done = "add-collaborator-unknown" }
        case "remove-collaborator":
            answer = await api(.delete, "\(base)/collaborators/\(Self.pathSegment(form["user"]))", as: visitor)
        case "add-webhook":
            var body: [String: Any] = [
                "url": form["url"] ?? "",
                "events": Webhook.Event.allCases.map(\.rawValue).filter { form["event-" + $0] != nil },
            ]
            if let secret = form["secret"], !secret.isEmpty { body["secret"] = secret }
            answer = await api(.post, "\(base)/webhooks", body, as: visitor)
        case "delete-webhook":
            answer = await api(.delete, "\(base)/webhooks/\(Self.pathSegment(form["webhook"]))", as: visitor)
        case "redeliver":
            let hook = Self.pathSegment(form["webhook"])
            answer = await api(.post, "\(base)/webhooks/\(hook)/deliveries/\(Self.pathSegment(form["delivery"]))/redeliver", as: visitor)
        case "delete-tag":
            answer = try await deleteTag(name, form["tag"] ?? "", confirmed: form["confirm"] == form["tag"], request, visitor)
        case "delete-repository":
            guard form["confirm"] == name else {
                return try await repositorySettings(name, request, visitor, error: "Type the repository's name to delete it.", status: .badRequest)
            }
            answer = await api(.delete, base, as: visitor)
            if answer.ok { return redirect(link("/")) }
        default:
            return try await repositorySettings(name, request, visitor, error: "Unknown change.", status: .badRequest)
        }
        guard answer.ok else {
            let status = HTTPResponse.Status(code: answer.status)
            // A refused description keeps what was typed in both fields.
            let draft: (description: String, overview: String)? =
                action == "describe" ? (description: form["description"] ?? "", overview: form["overview"] ?? "") : nil
            return try await repositorySettings(name, request, visitor, error: answer.message, status: status, draft: draft)
        }
        return redirect(link("/r/\(name)/settings", [("done", done)]))
    }

    /// Deletes a tag (the manifest stays for the garbage collector, as distribution does)
    /// for a visitor the access rules let delete in this repository.
    private func deleteTag(_ name: String, _ tag: String, confirmed: Bool, _ request: Request, _ visitor: Visitor) async throws -> APIAnswer {
        guard confirmed else { return APIAnswer(status: 400, json: ["errors": [["message": "Type the tag's name to delete it."]]]) }
        guard indexAPI.allows(visitor.principal, .delete, on: name) else {
            return APIAnswer(status: 403, json: ["errors": [["message": "You may not delete in \(name)."]]])
        }
        guard let repository = RepositoryName(name), let tagName = Tag(tag) else {
            return APIAnswer(status: 400, json: ["errors": [["message": "Not a tag."]]])
        }
        let origin = RequestOrigin(actor: visitor.user, host: request.head.authority ?? "", method: "DELETE", userAgent: request.headers[.userAgent] ?? "")
        do {
            try await registry.deleteManifest(repository, .tag(tagName), origin: origin)
        } catch let error as RegistryError {
            return APIAnswer(status: error.status, json: ["errors": [["message": error.message]]])
        }
        return APIAnswer(status: 202, json: nil)
    }

    /// A form value as one path segment of an API call, as the API reads it (literally): a
    /// value that would leave the segment (`/`, `?`, `#`, `%`, a control character) becomes
    /// one the API answers as unknown, never another route.
    static func pathSegment(_ value: String?) -> String {
        let value = value ?? ""
        guard !value.isEmpty, !value.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F || "/?#%".unicodeScalars.contains($0) })
        else { return "-" }
        return value
    }

    // MARK: account

    func account(_ request: Request, _ visitor: Visitor, created: String? = nil, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let session = visitor.session, let user = visitor.user else { return redirect(link("/login", [("next", link("/settings"))])) }
        if request.method == .post, created == nil, error == nil {
            guard let form = await form(request), form["csrf"] == session.csrf else {
                return expired(back: WebView.Link(label: "Back to your account", url: link("/settings")))
            }
            let action = form["action"] ?? ""
            switch action {
            case "password":
                guard form["password"] == form["repeat"] else {
                    return try await account(request, visitor, error: "The new passwords differ.", status: .badRequest)
                }
                let answer = await api(.patch, "/users/\(Self.pathSegment(user))",
                                       ["password": form["password"] ?? "", "current_password": form["current"] ?? ""], as: visitor)
                guard answer.ok else { return try await account(request, visitor, error: answer.message, status: HTTPResponse.Status(code: answer.status)) }
                // The new password ended every session of this user, this browser's too (so a
                // stolen cookie dies with the old password); the browser that changed it is
                // given a fresh session and stays signed in.
                guard let hash = currentPasswordHash(of: user) else { return redirect(link("/login", [("next", link("/settings"))])) }
                let (secret, _) = try await index.createSession(for: user, passwordHash: hash)
                return redirect(link("/settings", [("done", action)]), cookies: [
                    setCookie(Self.sessionCookie, secret, maxAge: Int(RepositoryIndex.sessionLifetime / 1000), request),
                ])
            case "create-token":
                let scopes = ["read", "write", "delete"].filter { form["scope-" + $0] != nil }
                let answer = await api(.post, "/tokens", ["name": form["name"] ?? "", "scopes": scopes], as: visitor)
                guard answer.ok, let token = (answer.json as? [String: Any])?["token"] as? String else {
                    return try await account(request, visitor, error: answer.message, status: HTTPResponse.Status(code: answer.status))
                }
                // Shown once, on this answer only: never in a URL, never stored.
                return try await account(request, visitor, created: token)
            case "revoke-token":
                let answer = await api(.delete, "/tokens/\(Self.pathSegment(form["token"]))", as: visitor)
                guard answer.ok else { return try await account(request, visitor, error: answer.message, status: HTTPResponse.Status(code: answer.status)) }
            default:
                return try await account(request, visitor, error: "Unknown change.", status: .badRequest)
            }
            return redirect(link("/settings", [("done", action)]))
        }
        let now = IndexClock.now()
        let tokens = await api(.get, "/tokens", as: visitor).results.map { row in
            WebView.TokenRow(
                id: row["id"] as? String ?? "", name: row["name"] as? String ?? "",
                scopes: (row["scopes"] as? [String] ?? []).joined(separator: ", "),
                created: (row["created_at"] as? String).flatMap(IndexClock.parse).flatMap { when($0, now: now) } ?? .init(iso: "", ago: ""),
                lastUsed: (row["last_used_at"] as? String).flatMap(IndexClock.parse).flatMap { when($0, now: now) }
            )
        }
        let model = WebView.Account(
            chrome: chrome("Account", visitor: visitor),
            user: user,
            actionURL: link("/settings"),
            notice: Query(request.uri.query ?? "")["done"].flatMap { Self.notices[$0] },
            error: error,
            createdToken: created,
            canChangePassword: !(logins?.store.hasUser(user) ?? false),
            tokens: tokens
        )
        return page(status, model, template: "account")
    }

    // MARK: administration

    func admin(_ request: Request, _ visitor: Visitor, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let session = visitor.session else { return redirect(link("/login", [("next", link("/admin"))])) }
        // Not a page at all for anyone else: nothing here says the registry has one.
        guard indexAPI.isAdministrator(visitor.principal) else { return page(.notFound, notFound("There is no page here.")) }
        if request.method == .post, error == nil {
            guard let form = await form(request), form["csrf"] == session.csrf else {
                return expired(back: WebView.Link(label: "Back to administration", url: link("/admin")))
            }
            let action = form["action"] ?? ""
            let user = Self.pathSegment(form["user"])
            let answer: APIAnswer = switch action {
            case "create-user": await api(.post, "/users", ["name": form["name"] ?? "", "password": form["password"] ?? ""], as: visitor)
            case "disable-user": await api(.patch, "/users/\(user)", ["disabled": true], as: visitor)
            case "enable-user": await api(.patch, "/users/\(user)", ["disabled": false], as: visitor)
            case "create-org": await api(.post, "/orgs", ["name": form["name"] ?? ""], as: visitor)
            default: APIAnswer(status: 400, json: ["errors": [["message": "Unknown change."]]])
            }
            guard answer.ok else { return try await admin(request, visitor, error: answer.message, status: HTTPResponse.Status(code: answer.status)) }
            return redirect(link("/admin", [("done", action)]))
        }
        let users = await api(.get, "/users", as: visitor).results.map { row in
            WebView.UserRow(
                name: row["name"] as? String ?? "", source: row["source"] as? String ?? "",
                fromIndex: row["source"] as? String == "index", disabled: row["disabled"] as? Bool ?? false,
                created: (row["created_at"] as? String).flatMap(IndexClock.parse).map { WebFormat.ago($0, now: IndexClock.now()) } ?? ""
            )
        }
        let organizations = await api(.get, "/orgs", as: visitor)
        let model = WebView.Admin(
            chrome: chrome("Administration", visitor: visitor),
            actionURL: link("/admin"),
            notice: Query(request.uri.query ?? "")["done"].flatMap { Self.notices[$0] },
            error: error,
            users: users,
            hasOrganizations: organizations.ok,
            organizations: organizations.results.compactMap { $0["name"] as? String }.map { WebView.Link(label: $0, url: link("/o/" + $0)) }
        )
        return page(status, model, template: "admin")
    }
}
