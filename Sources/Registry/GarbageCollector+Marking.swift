import Foundation
import OCI
import Storage

extension GarbageCollector {
    /// What marking found: every live blob, the references of every manifest read, and the
    /// manifest revisions the untagged policy lets go.
    struct Marking {
        var blobs = Set<Digest>()
        var manifests = [Digest: References]()
        var unreachable: [CollectionReport.ManifestRemoval] = []
        /// Upload sessions the listing found, by directory: when each started (its
        /// `startedat`), else when it was last written.
        var uploads: [String: (started: Double?, newest: Double)] = [:]
        /// Tags a retention rule lets go, each with its push time as read.
        var expiredTags: [(removal: CollectionReport.TagRemoval, pushed: Double)] = []
    }

    /// What one listing of the whole store says of a repository.
    struct RepositoryContents {
        /// Linked manifest revisions, with when their link was written.
        var revisions: [Digest: Double] = [:]
        /// Tags that have a current link, with when it was written (the last push).
        var tags: [Tag: Double] = [:]
        /// Subjects with the referrers listed under them.
        var referrers: [Digest: [Digest]] = [:]
    }

    /// Marks from every repository's tags, and, as the untagged policy says, its other
    /// manifests: through index children, configs, layers and referrers of what is live.
    func mark(startedAt: Int64, report: inout CollectionReport, state: inout Sweep) async throws -> Marking {
        var marking = Marking()
        let repositories = try await readRepositories(uploads: &marking.uploads)
        report.repositories = repositories.count
        // Every tag's target and every manifest a repository starts from, read sixteen at a
        // time across repositories rather than one repository after another.
        let tags = repositories.flatMap { name, contents in contents.tags.keys.map { (name, $0) } }
        let layout = registry.layout
        let targets = try await Self.concurrently(tags) { name, tag in try await registry.readLink(layout.tagCurrentLink(name, tag)) }
        var tagged = [RepositoryName: [Tag: Digest]]()
        for ((name, tag), digest) in zip(tags, targets) { if let digest { tagged[name, default: [:]][tag] = digest } }
        var starts = Set(targets.compactMap { $0 })
        if options.untagged == .keep { for contents in repositories.values { starts.formUnion(contents.revisions.keys) } }
        try await loadReferences(Array(starts), into: &marking.manifests)
        try await state.pacer.rest()
        // A long marking reads the journal now and then: entries are pruned twenty minutes
        // after they are written, and each must be read before it goes.
        var journalRead = ContinuousClock.now
        for (name, contents) in repositories.sorted(by: { $0.key < $1.key }) {
            try await markRepository(name, contents, tagged: tagged[name] ?? [:], startedAt: startedAt, marking: &marking, report: &report)
            try await state.pacer.rest()
            if ContinuousClock.now - journalRead > .seconds(60) {
                try await readJournal(&state)
                journalRead = ContinuousClock.now
            }
        }
        report.blobsMarked = marking.blobs.count
        return marking
    }

    /// Every repository's revisions, tags and referrers from one recursive listing: on an
    /// object store a thousand keys a request instead of several requests a repository.
    func readRepositories(uploads: inout [String: (started: Double?, newest: Double)]) async throws -> [RepositoryName: RepositoryContents] {
        var result = [RepositoryName: RepositoryContents]()
        for file in try await registry.driver.listFiles(under: registry.layout.repositoriesRoot, skipping: [Layout.layersName]) {
            let parts = file.path.split(separator: "/", omittingEmptySubsequences: false)
            guard let i = parts.firstIndex(where: { $0.hasPrefix("_") }), i > 0,
                  let name = RepositoryName(parts[..<i].joined(separator: "/"))
            else { continue }
            let rest = Array(parts[i...])
            switch rest[0] {
            case Substring(Layout.manifestsName):
                var contents = result[name] ?? RepositoryContents()
                if rest.count == 5, rest[1] == "revisions", rest[4] == "link", let digest = Digest("\(rest[2]):\(rest[3])") {
                    contents.revisions[digest] = file.modified
                } else if rest.count == 5, rest[1] == "tags", rest[3] == "current", rest[4] == "link", let tag = Tag(String(rest[2])) {
                    contents.tags[tag] = file.modified
                }
                result[name] = contents
            case "_referrers":
                guard rest.count == 6, rest[5] == "descriptor",
                      let subject = Digest("\(rest[1]):\(rest[2])"), let referrer = Digest("\(rest[3]):\(rest[4])")
                else { continue }
                result[name, default: RepositoryContents()].referrers[subject, default: []].append(referrer)
            case Substring(Layout.uploadsName):
                guard rest.count >= 3 else { continue }
                let session = registry.layout.uploadsDirectory(name) + "/" + rest[1]
                var times = uploads[session] ?? (nil, 0)
                if rest.count == 3, rest[2] == "startedat" { times.started = file.modified }
                times.newest = max(times.newest, file.modified)
                uploads[session] = times
            default:
                continue
            }
        }
        return result
    }

    private func markRepository(
        _ name: RepositoryName, _ contents: RepositoryContents, tagged targets: [Tag: Digest], startedAt: Int64,
        marking: inout Marking, report: inout CollectionReport
    ) async throws {
        let tags = Array(contents.tags.keys)
        let tagged = tags.map { targets[$0] }
        var roots = Set<Digest>()
        var policy = options.untagged
        var revisions = contents.revisions
        var rule = options.retention.first { $0.covers(name) }
        var pulled = [String: Double]()
        if let covering = rule {
            do {
                pulled = try await pullTimes(name, for: covering)
            } catch {
                // Without them a tag pulled a minute ago looks as old as its push: this
                // collection deletes nothing here, neither tags nor untagged manifests, and
                // the report names the repository; the next collection tries again.
                report.retentionSkipped.append(.init(repository: name, reason: "\(error)"))
                rule = nil
                policy = .keep
            }
        }
        if let rule {
            policy = .delete(after: rule.untaggedAfter)
            let present = zip(tags, tagged).compactMap { tag, digest in digest.map { (tag, $0, contents.tags[tag] ?? 0) } }
            for (digest, modified) in revisions {
                if let used = pulled[Layout.useKey(.digest(digest))], used > modified { revisions[digest] = used }
            }
            let expired = expiredTags(name, rule: rule, tags: present, pulled: pulled, startedAt: startedAt)
            let gone = Set(expired.map(\.removal.tag))
            for case let (tag, digest?) in zip(tags, tagged) where !gone.contains(tag) { roots.insert(digest) }
            marking.expiredTags.append(contentsOf: expired)
        } else {
            roots.formUnion(tagged.compactMap { $0 })
        }
        var untagged = [Digest]()
        switch policy {
        case .keep:
            roots.formUnion(revisions.keys)
        case .delete(let after):
            // Untagged manifests written since the cutoff are roots too: an index's children
            // are pushed before the index that tags them.
            let cutoff = Double(startedAt) / 1000 - max(Self.seconds(options.grace), Self.seconds(after))
            for (digest, modified) in revisions where !roots.contains(digest) {
                if modified < cutoff { untagged.append(digest) } else { roots.insert(digest) }
            }
        }
        var live = Set<Digest>()
        var queue = Array(roots)
        while let digest = queue.popLast() {
            guard live.insert(digest).inserted else { continue }
            marking.blobs.insert(digest)
            if let references = try await references(of: digest, cache: &marking.manifests) {
                marking.blobs.formUnion(references.blobs)
                queue.append(contentsOf: references.manifests)
            }
            // Only referrers still stored: a deleted one's entry may linger on an object store.
            queue.append(contentsOf: (contents.referrers[digest] ?? []).filter { revisions[$0] != nil })
        }
        report.manifestsMarked += live.count
        for digest in untagged where !live.contains(digest) {
            marking.unreachable.append(.init(repository: name, digest: digest))
        }
    }

    /// When each tag of `name` (and each manifest by digest, by its use key) was last
    /// pulled: the index's counts when `rule` keeps by `within` (nothing else reads them),
    /// and the uses a mirror noted (a cached manifest by digest counts from its last use
    /// too). Throws when either cannot be read rather than answering "never pulled".
    private func pullTimes(_ name: RepositoryName, for rule: RetentionRule) async throws -> [String: Double] {
        var pulled = [String: Double]()
        if rule.keepWithin != nil, let lastPulled = options.lastPulled { pulled = try await lastPulled(name) }
        for (key, time) in try await registry.lastUses(name) {
            pulled[key] = max(pulled[key] ?? 0, time)
        }
        return pulled
    }

    /// The tags of `name` its retention rule lets go: never an immutable one, nor one
    /// pushed within the grace period.
    private func expiredTags(
        _ name: RepositoryName, rule: RetentionRule, tags: [(Tag, Digest, Double)], pulled: [String: Double], startedAt: Int64
    ) -> [(removal: CollectionReport.TagRemoval, pushed: Double)] {
        let now = Double(startedAt) / 1000
        let entries = tags.map { (tag: $0.0, pushed: $0.2, pulled: pulled[$0.0.value]) }
        let expired = Set(rule.expired(entries, now: now))
        let protectedSince = now - Self.seconds(options.grace)
        return tags.compactMap { tag, digest, pushed in
            guard expired.contains(tag), !registry.isImmutable(name, tag), pushed < protectedSince else { return nil }
            return (CollectionReport.TagRemoval(repository: name, tag: tag, digest: digest), pushed)
        }
    }

    /// Reads and parses many manifests at once into the cache (those already there are
    /// skipped); a missing one is left for ``references(of:cache:)`` to find missing.
    func loadReferences(_ digests: [Digest], into cache: inout [Digest: References]) async throws {
        let wanted = digests.filter { cache[$0] == nil }
        let layout = registry.layout
        let driver = registry.driver
        let loaded = try await Self.concurrently(wanted) { digest -> References? in
            do {
                guard let bytes = try await driver.contents(of: layout.blobData(digest), limit: Manifest.maximumSize) else { return nil }
                return Self.references(in: bytes)
            } catch StorageError.tooLarge {
                return References(blobs: [], manifests: [])
            }
        }
        for (digest, references) in zip(wanted, loaded) { if let references { cache[digest] = references } }
    }

    /// What the manifest stored as `digest` references; nil when no such blob is stored.
    /// Read from where the blob is, or from where the sweep moved it.
    func references(of digest: Digest, cache: inout [Digest: References]) async throws -> References? {
        if let cached = cache[digest] { return cached }
        let layout = registry.layout
        let driver = registry.driver
        var path = layout.blobData(digest)
        var info = try await driver.fileInfo(path)
        if info == nil {
            path = layout.quarantine(digest)
            info = try await driver.fileInfo(path)
        }
        guard let info else { return nil }
        var bytes: [UInt8]?
        if info.size > Manifest.maximumSize {
            bytes = []  // a layer: it references nothing
        } else if info.size > Self.peekThreshold, try await Self.isCompressed(path, driver) {
            // The journal names every layer a push relied on: reading each whole (a
            // megabyte or more) and scanning it for digests made a collection under a push
            // load spend minutes on layers. A gzip or zstd stream is never a manifest.
            bytes = []
        } else {
            do { bytes = try await driver.contents(of: path, limit: Manifest.maximumSize) } catch StorageError.tooLarge { bytes = [] }
        }
        guard let bytes else { return nil }
        let references = Self.references(in: bytes)
        cache[digest] = references
        return references
    }

    /// Blobs larger than this are peeked at before being read whole.
    static let peekThreshold: Int64 = 64 * 1024

    /// Whether the file starts as a gzip or zstd stream (a compressed layer).
    static func isCompressed(_ path: String, _ driver: any StorageDriver) async throws -> Bool {
        var head = [UInt8]()
        do {
            try await driver.read(path, range: 0..<4) { chunk in head += chunk.readableBytesView.prefix(4 - head.count) }
        } catch StorageError.notFound {
            return false
        }
        return head.starts(with: [0x1f, 0x8b]) || head.starts(with: [0x28, 0xb5, 0x2f, 0xfd])
    }

    /// A manifest's references; for anything this registry does not parse as one (a
    /// schema 1 manifest written by distribution, a config, a small layer) every digest its
    /// bytes mention, so nothing a manifest of an unknown shape needs is ever taken.
    static func references(in bytes: [UInt8]) -> References {
        // Whatever the bytes start with (a byte-order mark, UTF-16): a parse is tried, and
        // failing that every digest they mention counts.
        guard !bytes.isEmpty else { return References(blobs: [], manifests: []) }
        if let manifest = try? Manifest.parse(bytes, contentType: nil) {
            let blobs = (manifest.config.map { [$0.digest] } ?? []) + manifest.layers.map(\.digest)
            return References(blobs: blobs, manifests: manifest.manifests.map(\.digest))
        }
        let mentioned = digestsMentioned(in: bytes)
        return References(blobs: mentioned, manifests: mentioned)
    }

    /// Every `sha256:`/`sha384:`/`sha512:` digest written out in `bytes`.
    static func digestsMentioned(in bytes: [UInt8]) -> [Digest] {
        let text = String(decoding: bytes, as: UTF8.self)
        var found = Set<Digest>()
        for algorithm in ["sha256:", "sha384:", "sha512:"] {
            var rest = text[...]
            while let range = rest.range(of: algorithm) {
                let hex = rest[range.upperBound...].prefix { $0.isHexDigit && !$0.isUppercase }
                if let digest = Digest(algorithm + hex) { found.insert(digest) }
                rest = rest[range.upperBound...]
            }
        }
        return Array(found)
    }

    /// `body` over every element, sixteen at a time (each is a store request), in order.
    static func concurrently<Element: Sendable, Result: Sendable>(
        _ elements: [Element],
        _ body: @escaping @Sendable (Element) async throws -> Result
    ) async throws -> [Result] {
        var results = [Result?](repeating: nil, count: elements.count)
        try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var next = 0
            for _ in 0..<min(16, elements.count) {
                let index = next
                group.addTask { (index, try await body(elements[index])) }
                next += 1
            }
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < elements.count {
                    let index = next
                    group.addTask { (index, try await body(elements[index])) }
                    next += 1
                }
            }
        }
        return results.compactMap { $0 }
    }
}
