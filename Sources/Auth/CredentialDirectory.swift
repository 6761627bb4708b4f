/// Credentials kept outside the htpasswd file: the index's personal access tokens. The
/// password provider asks it for passwords shaped like its tokens, so a token works
/// wherever a password does (`docker login`, Basic auth, the token server).
public protocol CredentialDirectory: Sendable {
    /// Whether `password` is shaped like one of this directory's tokens; only those are
    /// looked up, so a wrong htpasswd password never costs a database read.
    func recognizes(_ password: String) -> Bool

    /// The verdict on `user` presenting `token`.
    func verify(user: String, token: String) async -> CredentialVerdict
}

/// What a ``CredentialDirectory`` says of a token.
public enum CredentialVerdict: Sendable, Equatable {
    /// The token is `user`'s, valid, and lets them do at most `limit`.
    case verified(user: String, limit: AccessActions)
    /// Unknown, revoked, expired, or someone else's.
    case rejected
    /// The directory cannot answer now (its database is down).
    case unavailable
}
