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
            guard try await driver.stat(layout.repository(name)) != nil else { throw RegistryError.nameUnknown(name) }
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
        if driver.isShared, let current = try await readCatalogJournal() { names = current }
        return Page.slice(names, after: last, limit: limit, less: <)
    }

    /// Records a repository this process writes into. On shared storage a repository new
    /// to this process is also written to the catalog journal, before the write that made
    /// it is acknowledged, so every other instance lists it on its next catalog request.
    func noteRepository(_ name: RepositoryName) async throws {
        guard catalogNames.insert(name.value), driver.isShared else { return }
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        try await driver.write([], to: layout.catalogJournalEntry(name, at: now), durable: true)
    }

    /// How far back each read of the journal looks before the newest entry it saw, for
    /// instances whose clocks disagree; names seen twice are merged once.
    static let journalOverlap: Int64 = 5 * 60 * 1000

    /// Merges what other instances recorded since the last read: one listing that starts
    /// where the last one ended, so a catalog request costs one store request more.
    /// - Returns: the catalog, or nil before a first walk has finished.
    private func readCatalogJournal() async throws -> [String]? {
        let cursor = catalogNames.journalCursor
        let from = Layout.journalTime(cursor - Self.journalOverlap)
        var newest = cursor
        var names = [String]()
        for entry in try await driver.list(layout.catalogJournal, after: from) {
            guard let record = layout.catalogJournalRecord(entry) else { continue }
            names.append(record.name.value)
            newest = max(newest, record.milliseconds)
        }
        return catalogNames.merge(names, cursor: newest)
    }

    @discardableResult
    private func refreshCatalog() async throws -> [String] {
        let started = ContinuousClock.now
        var names = [String]()
        do {
            try await walkRepositories(layout.repositoriesRoot, prefix: "", into: &names)
        } catch {
            catalogNames.walkFailed()
            throw error
        }
        return catalogNames.replace(with: names, walkStarted: started)
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
                      let descriptor = try? JSONDecoder().decode(Descriptor.self, from: Data(bytes))
                else { continue }
                if let artifactType, descriptor.artifactType != artifactType { continue }
                // Skip referrers deleted behind our back (distribution's garbage collector).
                guard try await driver.fileInfo(layout.revisionLink(name, descriptor.digest)) != nil else { continue }
                result.append(descriptor)
            }
        }
        return result.sorted { $0.digest < $1.digest }
    }
}
