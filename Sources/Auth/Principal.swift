/// An authenticated caller and what its credentials carry.
public struct Principal: Sendable {
    public var identity: Identity
    /// The `access` claim of a bearer token; nil when access comes from the policy.
    public var tokenAccess: [AccessScope]?

    public init(identity: Identity, tokenAccess: [AccessScope]? = nil) {
        self.identity = identity
        self.tokenAccess = tokenAccess
    }

    public static let anonymous = Principal(identity: .anonymous)
}
