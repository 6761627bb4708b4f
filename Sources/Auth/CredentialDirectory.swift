/// Credentials kept outside the htpasswd file: the index's users and personal access
/// tokens. The password provider asks it of users the file does not name, and of passwords
/// shaped like its tokens, so both work wherever the file's users and passwords do
/// (`docker login`, Basic auth, the token server, the API).
public protocol CredentialDirectory: Sendable {
    /// The bcrypt hash `user` logs in with, when the directory holds such an active user.
    /// Asked on every request a cached credential of theirs makes, so it answers from
    /// memory: a disabled user or a changed password takes effect at once.
    func passwordHash(of user: String) -> String?

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
