import Auth
import Foundation
import Hummingbird
import Index
import NIOPosix
import OCI

/// `/api/v1/users…`: the registry's users. Administrators (`access.admins`) make users
/// through the API beside the htpasswd file's, disable and remove them; a user changes
/// their own password. The file's users stay the file's: `pier user` manages them.
extension IndexResponder {
    /// The shortest password the API accepts, and the longest (bcrypt reads 72 bytes).
    static let passwordBytes = 8...72

    func usersRoute(_ request: Request, _ rest: Substring, _ caller: Principal, route: inout String) async throws -> Response {
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if parts.isEmpty {
            route = "api_users"
            let administrator = try requireAdministrator(caller)
            if request.method == .post { return try await createUser(request, by: administrator) }
            try requireGet(request)
            return try await json(["results": allUsers()])
        }
        guard let user = Self.userName(parts[parts.startIndex]) else { throw RegistryError(.notFound, "no such user") }
        if parts.count == 2, parts.last == "starred" {
            route = "api_user_starred"
            try requireGet(request)
            let names = try await index.starred(by: user).filter { visible($0, to: caller) }
            return try json(["results": names])
        }
        guard parts.count == 1 else { throw RegistryError(.unsupported, "no such index endpoint", status: 404) }
        route = "api_user"
        switch request.method {
        case .patch:
            return try await changeUser(user, request, caller)
        case .delete:
            try requireAdministrator(caller)
            try refuseFileUser(user, "remove them from the file with pier user")
            guard try await index.deleteUser(user) else { throw RegistryError(.notFound, "no such user") }
            return Response(status: .noContent)
        default:
            try requireGet(request)
            return try await json(userBody(user, caller))
        }
    }

    /// What anyone may know of a user: the organisations they are in; the user themself and
    /// administrators also see where the account lives and whether it is disabled.
    private func userBody(_ user: String, _ caller: Principal) async throws -> UserBody {
        var body = UserBody(name: user, organizations: try await index.organizations(of: user))
        let name = caller.identity.userName
        guard name == user || name.map({ access?.policy.admins.contains($0) == true }) == true else { return body }
        body.storage = try await storage(of: user)
        if logins?.store.hasUser(user) == true {
            body.source = "htpasswd"
        } else if let account = try await index.user(user) {
            body.source = "index"
            body.disabled = account.disabledAt != nil
            body.createdAt = IndexClock.format(account.createdAt)
            body.createdBy = account.createdBy
        }
        return body
    }

    /// The file's users and the index's, by name.
    private func allUsers() async throws -> [UserBody] {
        let file = Set(logins?.store.users ?? [])
        var bodies = file.map { UserBody(name: $0, organizations: nil, source: "htpasswd") }
        for account in try await index.users() where !file.contains(account.name) {
            bodies.append(UserBody(
                name: account.name, organizations: nil, source: "index", disabled: account.disabledAt != nil,
                createdAt: IndexClock.format(account.createdAt), createdBy: account.createdBy
            ))
        }
        return bodies.sorted { $0.name < $1.name }
    }

    private func createUser(_ request: Request, by administrator: String) async throws -> Response {
        guard logins != nil else { throw JSONFields.invalid("users log in with passwords only with auth.htpasswd or Pier's token server") }
        let fields = try await JSONFields.read(request, limit: 1024, allowed: ["name", "password"])
        guard let name = try fields.string("name", maximum: 64) else { throw JSONFields.invalid("'name' is required") }
        guard let password = try fields.string("password", maximum: 72) else { throw JSONFields.invalid("'password' is required") }
        try Self.checkPassword(password)
        // The file's user first: their namespace holds their repositories.
        try refuseFileUser(name, "the name is taken", status: 409)
        if let refusal = try await index.userRefusal(name) {
            throw RegistryError(.requestInvalid, refusal.reason, status: refusal.isConflict ? 409 : 400)
        }
        let hash = try await Self.hash(password)
        guard try await index.createUser(name, passwordHash: hash, by: administrator) else {
            throw RegistryError(.requestInvalid, "\(name) exists", status: 409)
        }
        guard let account = try await index.user(name) else { throw RegistryError(.notFound, "no such user") }
        var response = try json(UserBody(
            name: name, organizations: [], source: "index", disabled: false,
            createdAt: IndexClock.format(account.createdAt), createdBy: account.createdBy
        ))
        response.status = .created
        response.headers[.location] = "\(pathPrefix)/api/v1/users/\(name)"
        return response
    }

    /// `PATCH /api/v1/users/{user}`: `disabled` (administrators), `password` (the user, with
    /// `current_password`, or an administrator). Only the index's users: the file's are
    /// changed in the file.
    private func changeUser(_ user: String, _ request: Request, _ caller: Principal) async throws -> Response {
        guard let name = caller.identity.userName else { throw AuthFailure(.missingCredentials, "log in first") }
        if !caller.provedPassword { throw RegistryError(.denied, "an account is managed with its password, not a token") }
        let isAdministrator = access?.policy.admins.contains(name) == true
        guard isAdministrator || name == user else { throw RegistryError(.denied, "only administrators manage other users") }
        let fields = try await JSONFields.read(request, limit: 1024, allowed: ["disabled", "password", "current_password"])
        let disabled = try fields.bool("disabled")
        let password = try fields.string("password", maximum: 72)
        let current = try fields.string("current_password", maximum: 72)
        guard disabled != nil || password != nil else { throw JSONFields.invalid("nothing to change: send 'disabled' or 'password'") }
        if disabled != nil, !isAdministrator { throw RegistryError(.denied, "only administrators disable users") }
        try refuseFileUser(user, "change them in the file with pier user")
        guard try await index.user(user) != nil else { throw RegistryError(.notFound, "no such user") }
        if let password {
            try Self.checkPassword(password)
            if !isAdministrator {
                guard let current, let hash = index.accounts.passwordHash(of: user), try await Self.verify(current, hash: hash) else {
                    throw RegistryError(.denied, "'current_password' is wrong")
                }
            }
        }
        // Both checked before either is written: nothing is changed half.
        if let password, !(try await index.setUserPassword(user, passwordHash: try await Self.hash(password))) {
            throw RegistryError(.notFound, "no such user")
        }
        if let disabled, !(try await index.setUserDisabled(user, disabled)) { throw RegistryError(.notFound, "no such user") }
        return try await json(userBody(user, caller))
    }

    /// The caller when they are one of the registry's administrators, with their password
    /// (a token, whatever its scopes, does not administer).
    @discardableResult
    private func requireAdministrator(_ caller: Principal) throws -> String {
        guard let name = caller.identity.userName else { throw AuthFailure(.missingCredentials, "log in first") }
        guard access?.policy.admins.contains(name) == true, caller.provedPassword else {
            throw RegistryError(.denied, "users are managed by the registry's administrators (access.admins), with their password")
        }
        return name
    }

    private func refuseFileUser(_ user: String, _ advice: String, status: Int = 409) throws {
        if logins?.store.hasUser(user) == true {
            throw RegistryError(.requestInvalid, "\(user) is a user of the htpasswd file: \(advice)", status: status)
        }
    }

    static func checkPassword(_ password: String) throws {
        guard passwordBytes.contains(password.utf8.count) else {
            throw JSONFields.invalid("a password is \(passwordBytes.lowerBound) to \(passwordBytes.upperBound) bytes long")
        }
    }

    /// bcrypt on the thread pool: tens of milliseconds an event loop must not wait.
    static func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { HtpasswdFile.hashPassword(password) }
    }

    static func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { HtpasswdFile.verify(password, hash: hash) }
    }

    struct UserBody: Encodable {
        var name: String
        var organizations: [String]?
        /// `htpasswd` or `index`: where the account lives (shown to the user and administrators).
        var source: String?
        var disabled: Bool?
        var createdAt: String?
        var createdBy: String?
        /// The user's namespace against its quota (shown to the user and administrators).
        var storage: StorageBody?
    }

    /// What a namespace holds against its quota (`quotas`), so its owners see it coming.
    struct StorageBody: Encodable {
        var bytes: Int64
        var quota: Int64
    }

    /// The namespace's storage, when a quota covers it.
    func storage(of namespace: String) async throws -> StorageBody? {
        guard let registry, let storage = try await registry.namespaceStorage(namespace) else { return nil }
        return StorageBody(bytes: storage.bytes, quota: storage.quota)
    }
}
