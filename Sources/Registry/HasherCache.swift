import OCI
import Synchronization

/// Running hashes of open upload sessions, so each chunk is hashed once as it arrives.
///
/// A session whose hash is not here (after a restart, or on another instance) is rehashed
/// from its stored bytes: correctness never depends on this cache.
final class HasherCache: Sendable {
    /// A running hash and the session revision (``StorageUpload/revision``) it is the hash
    /// of: bytes another instance saved over the same session make it worthless.
    struct Entry {
        var hasher: DigestHasher
        var revision: String?
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    func take(_ key: String) -> Entry? {
        entries.withLock { $0.removeValue(forKey: key) }
    }

    func put(_ key: String, _ hasher: DigestHasher, revision: String?) {
        entries.withLock { entries in
            if entries.count >= capacity, let victim = entries.keys.first { entries[victim] = nil }
            entries[key] = Entry(hasher: hasher, revision: revision)
        }
    }

    func remove(_ key: String) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }
}
