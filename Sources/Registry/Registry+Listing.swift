public import OCI
import Foundation
import Storage

/// One page of a sorted listing and whether more follow.
public struct Page: Sendable, Equatable {
    public var items: [String]
    public var hasMore: Bool

    public init(items: [String], hasMore: Bool) {
        self.items = items
        self.hasMore = hasMore
    }

    /// Cuts a sorted list to the entries after `last`, at most `limit` of them.
    static func slice(_ sorted: [String], after last: String?, limit: Int, less: (String, String) -> Bool) -> Page {
        var rest = sorted[...]
        if let last, !last.isEmpty {
            let start = sorted.partitioningIndex { less(last, $0) }
            rest = sorted[start...]
        }
        return Page(items: Array(rest.prefix(limit)), hasMore: rest.count > limit)
    }
}

extension Registry {
    /// Tags of a repository, sorted, after `last`, at most `limit`.
    /// The sorted list is kept briefly, like tag targets, and dropped when this process
    /// writes or deletes a tag of the repository.
    public func tags(_ name: RepositoryName, limit: Int, after last: String?) async throws -> Page {
        if let tags = tagLists.get(name.value) {
            return Page.slice(tags, after: last, limit: limit, less: <)
        }
        let generation = tagLists.generation()
        guard let entries = try await driver.list(layout.tagsDirectory(name)) else {
            // A directory that only holds nested repositories (or a deleted one's) is none.
            guard let children = try await driver.list(layout.repository(name)), Layout.isRepository(children) else {
                throw RegistryError.nameUnknown(name)
            }
            return Page(items: [], hasMore: false)
        }
        let tags = entries.filter { Tag($0) != nil }.sorted()
        tagLists.put(name.value, tags, cost: tags.count + 1, ifUnchangedSince: generation)
        return Page.slice(tags, after: last, limit: limit, less: <)
    }

    /// Repository names in lexical order, after `last`, at most `limit`.
    /// A repository is a directory holding `_layers` (what distribution 2.x looks for) or
    /// `_manifests` (what 3.x looks for), so both servers' data lists the same.
    ///
    /// Served from a sorted in-memory list: built by one walk of storage, kept up to date by
    /// this process's own writes, and walked again in the background once it is older than
    /// the catalog lifetime, to pick up repositories other processes created.
    public func catalog(limit: Int, after last: String?) async throws -> Page {
        var names: [String]
        switch catalogNames.snapshot(maximumAge: options.catalogLifetime) {
        case .fresh(let current):
            names = current
        case .stale(let current):
            names = current
            Task { try? await self.refreshCatalog() }
        case .missing:
            names = try await refreshCatalog()
        }
        // A journal that cannot be read leaves the list as it is: the background walk still
        // brings what other instances created.
        if driver.isShared, let current = try? await readCatalogJournal() { names = current }
        return Page.slice(names, after: last, limit: limit, less: <)
    }

    /// Records a repository this process writes into. On shared storage a repository that
    /// other instances may not know yet is also written to the catalog journal before the
    /// write that made it is acknowledged, so every instance lists it on its next catalog
    /// request. A journal write that fails is not the client's failure (its content is
    /// stored): the next write to the repository tries again, and the background walk
    /// finds the repository meanwhile.
    func noteRepository(_ name: RepositoryName) async {
        catalogNames.insert(name.value)
        guard driver.isShared, catalogNames.needsJournal(name.value) else { return }
        if catalogNames.claimFirstWalk() { startFirstWalk() }
        let entry = layout.catalogJournalEntry(name, at: Self.nowMilliseconds())
        if (try? await driver.write([], to: entry, durable: true)) != nil {
            catalogNames.markJournaled(name.value)
        }
    }

    /// How far back each read of the journal looks before the newest entry it saw, for
    /// instances whose clocks disagree; names seen twice are merged once.
    static let journalOverlap: Int64 = 5 * 60 * 1000
    /// How long journal entries are kept: every instance's background walk (every 10 s
    /// while it serves catalogs) has long since found their repositories.
    static let journalRetention: Int64 = 24 * 60 * 60 * 1000

    static func nowMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }

    /// Merges what other instances recorded since the last read: one listing that starts
    /// where the last one ended, so a catalog request costs one store request more. Entries
    /// dated past this machine's clock (by more than the overlap) are not trusted to move
    /// the cursor, so one instance with a clock ahead cannot hide the others' entries.
    /// - Returns: the catalog, or nil before a first walk has finished.
    private func readCatalogJournal() async throws -> [String]? {
        let cursor = catalogNames.journalCursor
        let now = Self.nowMilliseconds()
        var newest = cursor
        var names = [String]()
        for entry in try await driver.list(layout.catalogJournal, after: Layout.journalTime(cursor - Self.journalOverlap)) {
            guard let record = layout.catalogJournalRecord(entry) else { continue }
            names.append(record.name.value)
            if record.milliseconds <= now { newest = max(newest, record.milliseconds) }
        }
        return catalogNames.merge(names, cursor: newest)
    }

    /// A first walk, so a process that writes but serves no catalog stops journaling
    /// repositories that long existed once it has seen them.
    private func startFirstWalk() {
        Task { try? await self.refreshCatalog() }
    }

    /// Removes journal entries older than the retention, after a walk has found whatever
    /// they named.
    private func pruneCatalogJournal(before cutoff: Int64) async {
        guard let entries = try? await driver.list(layout.catalogJournal, after: "") else { return }
        for entry in entries {
            guard let record = layout.catalogJournalRecord(entry), record.milliseconds < cutoff else { continue }
            try? await driver.delete(layout.catalogJournalEntry(named: entry))
        }
    }

    /// Drops a deleted repository from this process's catalog and from the journal, so a
    /// journal entry of its creation does not list it again; other instances drop it at
    /// their next walk.
    func removeFromCatalog(_ name: RepositoryName) async throws {
        catalogNames.remove(name.value)
        guard driver.isShared else { return }
        for entry in try await driver.list(layout.catalogJournal, after: "") {
            guard layout.catalogJournalRecord(entry)?.name == name else { continue }
            try await driver.delete(layout.catalogJournalEntry(named: entry))
        }
    }

    @discardableResult
    private func refreshCatalog() async throws -> [String] {
        let started = ContinuousClock.now
        let startedAt = Self.nowMilliseconds()
        var names = [String]()
        do {
            try await walkRepositories(layout.repositoriesRoot, prefix: "", into: &names)
        } catch {
            catalogNames.walkFailed()
            throw error
        }
        // What the walk found needs no journal entry; the journal is read from its start on.
        let current = catalogNames.replace(with: names, walkStarted: started, journalCursor: startedAt)
        if driver.isShared, catalogNames.claimPrune(at: startedAt, every: Self.journalRetention / 24) {
            await pruneCatalogJournal(before: startedAt - Self.journalRetention)
        }
        return current
    }

    /// Lists directories level by level, many at once: on an object store each listing is
    /// a round trip, and a registry's tree is wide and shallow.
    private func walkRepositories(_ root: String, prefix: String, into names: inout [String]) async throws {
        var frontier = [(path: root, name: prefix)]
        while !frontier.isEmpty {
            var next = [(path: String, name: String)]()
            for batch in stride(from: 0, to: frontier.count, by: Self.walkConcurrency).map({ frontier[$0..<min($0 + Self.walkConcurrency, frontier.count)] }) {
                let listed = try await withThrowingTaskGroup(of: (String, String, [String]?).self) { group in
                    for entry in batch {
                        group.addTask { (entry.path, entry.name, try await self.driver.list(entry.path)) }
                    }
                    var listed = [(String, String, [String]?)]()
                    for try await result in group { listed.append(result) }
                    return listed
                }
                for (path, name, children) in listed {
                    guard let children else { continue }
                    if !name.isEmpty, Layout.isRepository(children), RepositoryName(name) != nil {
                        names.append(name)
                    }
                    for child in children where !child.hasPrefix("_") && !child.hasPrefix(".") {
                        next.append((path + "/" + child, name.isEmpty ? child : name + "/" + child))
                    }
                }
            }
            frontier = next
        }
    }

    /// Directory listings in flight at once during a catalog walk.
    static let walkConcurrency = 16

    /// Manifests whose `subject` is `digest`, as descriptors, optionally only those of one
    /// artifact type. Read from the index kept on push and delete, never by a scan.
    public func referrers(_ name: RepositoryName, _ digest: Digest, artifactType: String?) async throws -> [Descriptor] {
        let base = layout.referrersDirectory(name, subject: digest)
        var result = [Descriptor]()
        for algorithm in try await driver.list(base) ?? [] {
            for encoded in try await driver.list(layout.referrerAlgorithmDirectory(in: base, algorithm)) ?? [] {
                let path = layout.referrerDescriptor(in: base, algorithm: algorithm, encoded: encoded)
                guard let bytes = try await driver.contents(of: path, limit: 1 << 20),
                      var descriptor = try? JSONDecoder().decode(Descriptor.self, from: Data(bytes))
                else { continue }
                // Kept as pushed before an empty type counted as none: listed without one.
                if descriptor.artifactType == "" { descriptor.artifactType = nil }
                if let artifactType, descriptor.artifactType != artifactType { continue }
                // Skip referrers deleted behind our back (distribution's garbage collector).
                guard try await driver.fileInfo(layout.revisionLink(name, descriptor.digest)) != nil else { continue }
                result.append(descriptor)
            }
        }
        return result.sorted { $0.digest < $1.digest }
    }
}
