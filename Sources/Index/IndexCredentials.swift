public import Auth
import Synchronization

/// The index's personal access tokens as the password provider sees them. Made with the
/// access controller, before the index database is open; ``attach(_:)`` connects it once
/// it is. Until then (or without a database) tokens are refused as unavailable.
public final class IndexCredentials: CredentialDirectory {
    let index = Mutex<RepositoryIndex?>(nil)
    /// The htpasswd file whose departures are swept (``htpasswdRead(at:entries:)``).
    let departures = Mutex(Departures())

    /// What the departure sweep keeps between reads of the file.
    struct Departures {
        var path: String?
        /// A sweep runs (one at a time), and whether a read came meanwhile.
        var sweeping = false
        var dirty = false
        /// Every name a read of the file held, until the name is forgotten.
        var seen = Set<String>()
        /// The fingerprint of each seen name's hash at its latest read, so a name that
        /// leaves and comes back is compared with the hash it left with even before any
        /// sweep wrote that down.
        var prints = [String: String]()
        /// The path this start created, whose first sweep compares with nothing.
        var created: String?
    }
    /// When each token's use was last written, so a busy CI token costs one write a minute.
    private let lastWritten = Mutex<[String: Int64]>([:])

    public init() {}

    /// Connects the directory to the open index.
    public func attach(_ index: RepositoryIndex) {
        self.index.withLock { $0 = index }
        // Users who left the file while no instance was running are swept now.
        if let path = departures.withLock({ $0.path }) { htpasswdRead(at: path, entries: []) }
    }

    public func passwordHash(of user: String) -> String? {
        index.withLock { $0 }?.accounts.passwordHash(of: user)
    }

    public func recognizes(_ password: String) -> Bool {
        password.hasPrefix(AccessToken.prefix)
    }

    public func verify(user: String, token: String) async -> CredentialVerdict {
        guard token.utf8.count == AccessToken.prefix.utf8.count + AccessToken.secretLength else { return .rejected }
        guard let index = index.withLock({ $0 }) else { return .unavailable }
        let record: AccessToken?
        do {
            record = try await index.validToken(token)
        } catch {
            return .unavailable
        }
        // A token speaks only for its owner: another user name with it is refused.
        guard let record, record.user == user else { return .rejected }
        let now = IndexClock.now()
        let due = lastWritten.withLock { written in
            if let last = written[record.id], now - last < 60_000 { return false }
            if written.count > 100_000 { written.removeAll() }
            written[record.id] = now
            return true
        }
        if due { try? await index.noteTokenUse(record.id, at: now) }
        return .verified(user: record.user, limit: record.limit)
    }
}
