import Foundation

/// Basic authentication against an htpasswd file (`auth.htpasswd`).
public struct HtpasswdProvider: AuthProvider {
    public let realm: String
    public let store: HtpasswdStore
    public let throttle: LoginThrottle
    /// The index's users and personal access tokens, accepted beside the file's; nil without
    /// the index.
    public let directory: (any CredentialDirectory)?

    public init(realm: String, store: HtpasswdStore, throttle: LoginThrottle, directory: (any CredentialDirectory)? = nil) {
        self.realm = realm
        self.store = store
        self.throttle = throttle
        self.directory = directory
    }

    public func authenticate(_ authorization: Substring?, scopes: [AccessScope], client: String) async throws(AuthFailure) -> Principal {
        guard let authorization else { return .anonymous }
        // The hot path: credentials verified before cost one hash and one look-up.
        if let name = store.cachedUser(cacheKey: authorization, directory: directory) { return Principal(identity: .user(name)) }
        // containers/image clients without credentials answer a Basic challenge with empty
        // ones (`Basic Og==`): that is an anonymous caller, not a failed login.
        if Self.isEmptyBasic(authorization) { return .anonymous }
        guard let (user, password) = Self.basicCredentials(authorization) else {
            throw AuthFailure(.invalidCredentials, "malformed basic credentials", scopes: scopes)
        }
        // A personal access token: checked on every request (never cached), so a revoked
        // one stops working at once, on every instance. Guessing one is hopeless (it is
        // long and random), so it is not throttled like a password.
        if let directory, directory.recognizes(password) {
            switch await directory.verify(user: user, token: password) {
            case .verified(let name, let limit):
                // The token outlives no user: one removed from the file, or disabled in the
                // index, is refused.
                guard store.hasUser(name) || directory.passwordHash(of: name) != nil else {
                    throw AuthFailure(.invalidCredentials, "invalid username or token", scopes: scopes)
                }
                return Principal(identity: .user(name), limit: limit)
            case .rejected:
                throw AuthFailure(.invalidCredentials, "invalid username or token", scopes: scopes)
            case .unavailable:
                throw AuthFailure(.invalidCredentials, "tokens cannot be checked right now; try again", scopes: scopes)
            }
        }
        switch await store.authenticate(user: user, password: password, cacheKey: authorization, client: client, throttle: throttle, directory: directory) {
        case .verified(let name):
            return Principal(identity: .user(name))
        case .rejected:
            throw AuthFailure(.invalidCredentials, "invalid username or password", scopes: scopes)
        case .throttled(let retryAfter):
            throw AuthFailure(.throttled, "too many failed login attempts; try again later", scopes: scopes, retryAfter: retryAfter)
        }
    }

    public func challenge(scopes: [AccessScope], failure: AuthFailure.Kind) -> String {
        "Basic realm=\"\(realm.replacingOccurrences(of: "\"", with: "'"))\""
    }

    static func isEmptyBasic(_ header: some StringProtocol) -> Bool {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic" else { return false }
        let value = parts[1].trimmingCharacters(in: .whitespaces)
        return value == "Og==" || value == "Og" || value.isEmpty
    }

    /// Decodes `Basic base64(user:password)`; nil for any other scheme or malformed value.
    /// Credentials holding a NUL byte are malformed: bcrypt reads a password up to its
    /// first NUL, so `alicepw\0anything` would pass as `alicepw`.
    public static func basicCredentials(_ header: some StringProtocol) -> (String, String)? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let data = Data(base64Encoded: String(parts[1].trimmingCharacters(in: .whitespaces))),
              !data.contains(0),
              let text = String(data: data, encoding: .utf8),
              let colon = text.unicodeScalars.firstIndex(of: ":")
        else { return nil }
        // Split among scalars, as the htpasswd file is read: a colon joined to a mark
        // before it is still the separator.
        let user = String(text.unicodeScalars[..<colon])
        guard !user.isEmpty else { return nil }
        return (user, String(text.unicodeScalars[text.unicodeScalars.index(after: colon)...]))
    }
}
