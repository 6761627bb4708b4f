/// An authenticated caller and what its credentials carry.
public struct Principal: Sendable {
    public var identity: Identity
    /// The `access` claim of a bearer token; nil when access comes from the policy.
    public var tokenAccess: [AccessScope]?
    /// The most a personal access token lets its holder do (its scopes), whatever the
    /// user may do; nil for a password, which carries the user's full rights.
    public var limit: AccessActions?

    public init(identity: Identity, tokenAccess: [AccessScope]? = nil, limit: AccessActions? = nil) {
        self.identity = identity
        self.tokenAccess = tokenAccess
        self.limit = limit
    }

    public static let anonymous = Principal(identity: .anonymous)

    /// Whether the caller proved the account's password (Basic with it, or a web session
    /// made with it) rather than holding a token: what managing the account itself asks.
    /// A bearer token, however it was obtained, speaks only for the scopes in its claim for
    /// a few minutes, and a personal access token only within its scopes: neither may make
    /// credentials that outlive it or administer users and organisations.
    public var provedPassword: Bool {
        identity.userName != nil && tokenAccess == nil && limit == nil
    }
}
