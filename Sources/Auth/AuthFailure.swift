/// Why a request was not let through, with what the client needs to try again.
public struct AuthFailure: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No credentials were sent where some are needed: 401 with a challenge.
        case missingCredentials
        /// Credentials were sent but are wrong or malformed: 401.
        case invalidCredentials
        /// A bearer token was sent but is not valid: 401, `error="invalid_token"`.
        case invalidToken
        /// A valid token lacks the access: 401, `error="insufficient_scope"`.
        case insufficientScope
        /// A known user may not do this: 403 DENIED.
        case denied
        /// Too many attempts for this user from this client, or too many at once: 429
        /// TOOMANYREQUESTS with `Retry-After`; the password was not checked.
        case throttled
    }

    public var kind: Kind
    /// Safe to show the client and to log: never holds a credential.
    public var reason: String
    /// The scopes to name in the challenge.
    public var scopes: [AccessScope]
    /// When a throttled client may try again.
    public var retryAfter: Duration?

    public init(_ kind: Kind, _ reason: String, scopes: [AccessScope] = [], retryAfter: Duration? = nil) {
        self.kind = kind
        self.reason = reason
        self.scopes = scopes
        self.retryAfter = retryAfter
    }

    /// `Retry-After` in whole seconds, rounded up, so a client waiting that long is let in.
    public var retryAfterSeconds: Int? {
        guard let retryAfter else { return nil }
        let (seconds, attoseconds) = retryAfter.components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }

    public var description: String { "\(kind): \(reason)" }
}
