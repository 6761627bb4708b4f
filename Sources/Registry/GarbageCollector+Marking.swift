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
        /// Tags a retention rule lets go, each with its push time as read.
        var expiredTags: [(removal: CollectionReport.TagRemoval, pushed: Double)] = []
    }

    /// Marks from every repository's tags, and, as the untagged policy says, its other
    /// manifests: through index children, configs, layers and referrers of what is live.
    func mark(startedAt: Int64, report: inout CollectionReport) async throws -> Marking {
        var marking = Marking()
        let names = try await registry.walkRepositoryNames()
        report.repositories = names.count
        for name in names {
            try await markRepository(name, startedAt: startedAt, marking: &marking, report: &report)
        }
        report.blobsMarked = marking.blobs.count
        return marking
    }

    private func markRepository(_ name: RepositoryName, startedAt: Int64, marking: inout Marking, report: inout CollectionReport) async throws {
        let layout = registry.layout
        let driver = registry.driver
        // A revision is its link, not its directory: an object store may go on listing the
        // directory of a deleted one.
        let listed = try await listDigests(layout.repository(name) + "/" + Layout.manifestsName + "/revisions")
        let linked = try await Self.concurrently(listed) { digest in
            try await driver.fileInfo(layout.revisionLink(name, digest))?.modified
        }
        var revisions = [Digest: Double]()
        for (digest, modified) in zip(listed, linked) { if let modified { revisions[digest] = modified } }
        let tags = (try await driver.list(layout.tagsDirectory(name)) ?? []).compactMap(Tag.init)
        let tagged = try await Self.concurrently(tags) { tag in try await registry.readLink(layout.tagCurrentLink(name, tag)) }
        var roots = Set<Digest>()
        var policy = options.untagged
        if let rule = options.retention.first(where: { $0.covers(name) }) {
            policy = .delete(after: rule.untaggedAfter)
            let expired = try await expiredTags(name, rule: rule, tags: zip(tags, tagged).compactMap { tag, digest in digest.map { (tag, $0) } }, startedAt: startedAt)
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
        // Subjects that have referrers in this repository, listed once.
        let subjects = Set(try await listDigests(layout.repository(name) + "/_referrers"))
        var live = Set<Digest>()
        var queue = Array(roots)
        while let digest = queue.popLast() {
            guard live.insert(digest).inserted else { continue }
            marking.blobs.insert(digest)
            if let references = try await references(of: digest, cache: &marking.manifests) {
                marking.blobs.formUnion(references.blobs)
                queue.append(contentsOf: references.manifests)
            }
            if subjects.contains(digest) {
                // Only referrers still stored: a deleted one's entry may linger as above.
                let referrers = try await listDigests(layout.referrersDirectory(name, subject: digest))
                queue.append(contentsOf: referrers.filter { revisions[$0] != nil })
            }
        }
        report.manifestsMarked += live.count
        for digest in untagged where !live.contains(digest) {
            marking.unreachable.append(.init(repository: name, digest: digest))
        }
    }

    /// The tags of `name` its retention rule lets go: never an immutable one, nor one
    /// pushed within the grace period.
    private func expiredTags(
        _ name: RepositoryName, rule: RetentionRule, tags: [(Tag, Digest)], startedAt: Int64
    ) async throws -> [(removal: CollectionReport.TagRemoval, pushed: Double)] {
        let layout = registry.layout
        let pushed = try await Self.concurrently(tags) { entry in
            try await registry.driver.fileInfo(layout.tagCurrentLink(name, entry.0))?.modified ?? 0
        }
        let pulled = await options.lastPulled?(name) ?? [:]
        let now = Double(startedAt) / 1000
        let entries = zip(tags, pushed).map { (tag: $0.0, pushed: $1, pulled: pulled[$0.0.value]) }
        let expired = Set(rule.expired(entries, now: now))
        let protectedSince = now - Self.seconds(options.grace)
        var result = [(removal: CollectionReport.TagRemoval, pushed: Double)]()
        for ((tag, digest), time) in zip(tags, pushed) where expired.contains(tag) {
            guard !registry.isImmutable(name, tag), time < protectedSince else { continue }
            result.append((.init(repository: name, tag: tag, digest: digest), time))
        }
        return result
    }

    /// Digests stored as `<algorithm>/<encoded>` directories under `path`.
    func listDigests(_ path: String) async throws -> [Digest] {
        var digests = [Digest]()
        for algorithm in try await registry.driver.list(path) ?? [] {
            for encoded in try await registry.driver.list(path + "/" + algorithm) ?? [] {
                if let digest = Digest(algorithm + ":" + encoded) { digests.append(digest) }
            }
        }
        return digests
    }

    /// What the manifest stored as `digest` references; nil when no such blob is stored.
    /// Read from where the blob is, or from where the sweep moved it.
    func references(of digest: Digest, cache: inout [Digest: References]) async throws -> References? {
        if let cached = cache[digest] { return cached }
        let layout = registry.layout
        var bytes: [UInt8]?
        do {
            bytes = try await registry.driver.contents(of: layout.blobData(digest), limit: Manifest.maximumSize)
            if bytes == nil {
                bytes = try await registry.driver.contents(of: layout.quarantine(digest), limit: Manifest.maximumSize)
            }
        } catch StorageError.tooLarge {
            bytes = []  // a layer: it references nothing
        }
        guard let bytes else { return nil }
        let references = Self.references(in: bytes)
        cache[digest] = references
        return references
    }

    /// A manifest's references; for anything this registry does not parse as one (a
    /// schema 1 manifest written by distribution, a config, a small layer) every digest its
    /// bytes mention, so nothing a manifest of an unknown shape needs is ever taken.
    static func references(in bytes: [UInt8]) -> References {
        guard !bytes.isEmpty, bytes.first == UInt8(ascii: "{") || bytes.first.map({ $0 <= 32 }) == true else {
            return References(blobs: [], manifests: [])
        }
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
