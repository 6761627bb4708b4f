import Synchronization

/// The password hashes of the index's own users, held in memory: a login (or a cached
/// credential's re-check on every request) is a dictionary look-up, never a database read.
/// ``RepositoryIndex`` loads it at start and after each change; on PostgreSQL, a change
/// made by another instance is read within a second (the `users_version` state key).
public final class IndexAccounts: Sendable {
    /// Active users' bcrypt hashes; a disabled user is absent, so it cannot log in.
    private let hashes = Mutex<[String: String]>([:])

    public init() {}

    /// The bcrypt hash `user` logs in with; nil when the index has no such active user.
    public func passwordHash(of user: String) -> String? {
        hashes.withLock { $0[user] }
    }

    func replaceAll(_ new: [String: String]) {
        hashes.withLock { $0 = new }
    }
}
