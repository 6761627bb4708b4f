import OCI
public import Storage
import Foundation
import Synchronization

/// The registry's semantics over a storage driver: blobs, uploads, manifests, tags,
/// referrers and the catalog. It knows distribution's layout and nothing of HTTP, so the
/// same code serves any transport and any driver.
public final class Registry: ContentStore {
    /// Behaviour switches taken from configuration.
    public struct Options: Sendable {
        /// Whether blobs and manifests may be deleted (`storage.delete.enabled`).
        public var deleteEnabled: Bool
        /// Whether `?mount=` without `from` may link a blob that exists anywhere.
        public var mountWithoutFrom: Bool

        /// How long this process trusts what it read of mutable metadata (tags, revisions,
        /// tag lists) before reading storage again. Its own writes are seen at once; this
        /// bounds how long a change by another process sharing the storage can go unseen.
        /// On a driver that ``StorageDriver/isShared`` nothing mutable is trusted at all:
        /// a client that got its 201 from one instance must see the change on any other.
        public var metadataLifetime: Duration
        /// `storage.maintenance.readonly.enabled`: reads work, every write answers 405.
        public var readOnly: Bool
        /// How old the in-memory catalog may grow before storage is walked again (in the
        /// background; requests never wait for it once a first walk has finished).
        public var catalogLifetime: Duration
        /// Which child manifests of a pushed index must already be in the repository.
        public var indexChildren: IndexChildren = .all
        /// Whether the config and layers a pushed manifest names must already be in the
        /// repository; off, a manifest may name blobs pushed later (or never, in a sparse
        /// image that a mirror holds in part).
        public var requireBlobs = true
        /// `validation.manifests.urls`: the URLs a pushed manifest's layers may name.
        public var manifestURLs = ManifestURLPolicy.denyAll
        /// `immutabletags`: tags that are never moved or deleted once pushed.
        public var immutableTags: [ImmutableTagRule] = []
        /// `quotas`: bytes each namespace may hold.
        public var quotas: [QuotaRule] = []

        /// distribution's `validation.manifests.indexes.platforms`: a sparse index names
        /// children the registry does not hold, as a mirror keeps an upstream's index whole
        /// while holding only the platforms pulled.
        public enum IndexChildren: Sendable, Equatable {
            /// Every child must be present (distribution's default).
            case all
            /// No child needs to be.
            case none
            /// Only the children for these platforms must be.
            case platforms([PlatformSelector])
        }

        /// One entry of `platformlist`.
        public struct PlatformSelector: Sendable, Equatable {
            public var os: String
            public var architecture: String

            public init(os: String, architecture: String) {
                self.os = os
                self.architecture = architecture
            }
        }

        public init(
            deleteEnabled: Bool = true,
            mountWithoutFrom: Bool = true,
            metadataLifetime: Duration = .seconds(1),
            catalogLifetime: Duration = .seconds(10),
            readOnly: Bool = false,
            indexChildren: IndexChildren = .all,
            requireBlobs: Bool = true
        ) {
            self.indexChildren = indexChildren
            self.requireBlobs = requireBlobs
            self.readOnly = readOnly
            self.deleteEnabled = deleteEnabled
            self.mountWithoutFrom = mountWithoutFrom
            self.metadataLifetime = metadataLifetime
            self.catalogLifetime = catalogLifetime
        }
    }

    let driver: any StorageDriver
    public let layout = Layout()
    public let options: Options
    /// Where every change and pull is published (notifications, the index, webhooks).
    let events: any ContentEventSink
    let uploadLocks = KeyedLock()
    let hashers = HasherCache()
    /// Manifest bytes by digest: immutable, bounded by size.
    let manifestContent = MetadataCache<Digest, StoredManifest>(maximumCost: 64 << 20, lifetime: nil)
    /// `repo:tag` → the digest it points at.
    let tagTargets: MetadataCache<String, Digest>
    /// Repository name → its sorted tags.
    let tagLists: MetadataCache<String, [String]>
    /// `repo@digest` for revisions known to exist.
    let revisions: MetadataCache<String, Bool>
    /// Every repository name, so catalog pages need no directory walk.
    let catalogNames = CatalogCache()
    /// What each namespace with a quota holds.
    let namespaceUsage: NamespaceUsage
    /// The last hour this process pruned the reference journal in.
    let referencePrunes = Mutex<Int64>(0)

    /// Link files hold a digest string; anything longer is corrupt.
    static let linkLimit = 1024

    public init(driver: any StorageDriver, options: Options = Options(), events: any ContentEventSink = NoContentEvents()) {
        self.driver = driver
        self.options = options
        self.events = events
        let lifetime = driver.isShared ? Duration.zero : options.metadataLifetime
        self.tagTargets = MetadataCache(maximumCost: 100_000, lifetime: lifetime)
        self.revisions = MetadataCache(maximumCost: 100_000, lifetime: lifetime)
        self.tagLists = MetadataCache(maximumCost: 1_000_000, lifetime: lifetime)
        // Another instance's pushes count at the next walk: soon on a shared store.
        self.namespaceUsage = NamespaceUsage(lifetime: driver.isShared ? .seconds(30) : .seconds(300))
    }

    public var eventDetail: EventDetail { events.detail }

    /// Releases what the driver holds open (an object store's connections) once nothing
    /// uses the registry any more.
    public func shutdown() async {
        await driver.shutdown()
    }

    /// Publishes an event when anyone listens.
    func publish(_ event: @autoclosure () -> ContentEvent) async {
        guard events.isListening else { return }
        await events.receive(event())
    }

    /// Proves the store can be written (or, read-only, listed): a full disk, a read-only
    /// mount or a root that is not a directory all fail here, where a stat would pass.
    public func checkHealth() async throws {
        if options.readOnly {
            _ = try await driver.list("/")
        } else {
            let probe = layout.healthProbe
            // As many bytes as a link, what every push writes: an empty file needs only an
            // inode, so a full disk passed while every push was refused 507.
            try await driver.write(Array("sha256:\(String(repeating: "0", count: 64))".utf8), to: probe, durable: false)
            try await driver.delete(probe)
        }
    }

    public func checkReachable() async throws {
        // distribution lists "/" too; a store nothing was written to yet answers nil.
        _ = try await driver.list("/")
    }

    static func tagKey(_ name: RepositoryName, _ tag: Tag) -> String { name.value + ":" + tag.value }
    static func revisionKey(_ name: RepositoryName, _ digest: Digest) -> String { name.value + "@" + digest.description }

    /// Reads a link file and returns the digest it holds, or nil when there is none.
    func readLink(_ path: String) async throws -> Digest? {
        guard let bytes = try await driver.contents(of: path, limit: Self.linkLimit) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Digest(text)
    }

    func writeLink(_ digest: Digest, to path: String) async throws {
        try await driver.write(Array(digest.description.utf8), to: path)
    }

    /// Refuses writes in read-only mode, as distribution does during maintenance.
    func requireWritable() throws(RegistryError) {
        guard !options.readOnly else {
            throw RegistryError(.unsupported, "the registry is in read-only mode (storage.maintenance.readonly)")
        }
    }

    func requireDeletes() throws(RegistryError) {
        try requireWritable()
        guard options.deleteEnabled else {
            throw RegistryError.deletesDisabled
        }
    }
}
