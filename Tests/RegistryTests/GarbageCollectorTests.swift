import Foundation
import NIOCore
import OCI
import Storage
import Synchronization
import TestSupport
import Testing
@testable import Registry

/// The collector over each local driver: what it keeps, what it removes, and what happens
/// when a push relies on a blob while it is being removed.
@Suite struct GarbageCollectorTests {
    let repo = RepositoryName("team/app")!
    let layout = Layout()

    func push(_ bytes: [UInt8], to registry: Registry, in name: RepositoryName? = nil) async throws -> Digest {
        let digest = Digest.of(bytes)
        try await registry.uploadMonolithic(name ?? repo, digest: digest, body: Chunks(bytes))
        return digest
    }

    func image(config: Digest, layers: [Digest], extra: String = "") -> [UInt8] {
        let list = layers.map { #"{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\#($0)","size":2}"# }.joined(separator: ",")
        return Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(config)","size":2},"layers":[\#(list)]\#(extra)}"#.utf8)
    }

    func index(_ children: [Digest]) -> [UInt8] {
        let list = children.map { #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#($0)","size":2,"platform":{"os":"linux","architecture":"amd64"}}"# }.joined(separator: ",")
        return Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(list)]}"#.utf8)
    }

    @discardableResult
    func putManifest(_ bytes: [UInt8], _ registry: Registry, tag: String? = nil, in name: RepositoryName? = nil) async throws -> Digest {
        let reference: Reference = tag.map { .tag(Tag($0)!) } ?? .digest(Digest.of(bytes))
        return try await registry.putManifest(name ?? repo, reference: reference, bytes: bytes, contentType: nil).0.digest
    }

    /// Lets the clock pass the millisecond of the last push: a collection without a grace
    /// period still counts journal entries written in the millisecond it starts.
    func settle() async throws {
        try await Task.sleep(for: .milliseconds(5))
    }

    func stored(_ digest: Digest, _ driver: any StorageDriver) async throws -> Bool {
        try await driver.fileInfo(layout.blobData(digest)) != nil
    }

    @Test(arguments: TestDrivers.local())
    func blobsNoManifestReachesGoAndEveryTaggedImageStays(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let config = try await push(Array("{}".utf8), to: registry)
        let shared = try await push([1, 1], to: registry)
        let own = try await push([2, 2], to: registry)
        let orphan = try await push([3, 3], to: registry)
        let kept = try await putManifest(image(config: config, layers: [shared]), registry, tag: "v1")
        let gone = try await putManifest(image(config: config, layers: [shared, own]), registry, tag: "v2")
        // The same layer in another repository, by a manifest there, stays too.
        let other = RepositoryName("other")!
        #expect(try await registry.mountBlob(other, own, from: repo))
        #expect(try await registry.mountBlob(other, config, from: repo))
        let otherImage = try await putManifest(image(config: config, layers: [own]), registry, tag: "latest", in: other)
        try await registry.deleteManifest(repo, .digest(gone))
        try await settle()

        let report = try await GarbageCollector(registry: registry, options: .init()).collect()

        #expect(Set(report.blobsRemoved.map(\.digest)) == [orphan, gone])
        #expect(report.bytesFreed == 2 + Int64(image(config: config, layers: [shared, own]).count))
        for digest in [config, shared, own, kept, otherImage] { #expect(try await stored(digest, driver)) }
        for digest in [orphan, gone] { #expect(try await !stored(digest, driver)) }
        #expect(try await registry.getManifest(repo, .tag(Tag("v1")!)).digest == kept)
        // Nothing waits aside afterwards.
        #expect(try await driver.list(layout.collectorRoot + "/quarantine/sha256") ?? [] == [])
    }

    @Test(arguments: TestDrivers.local())
    func aCollectedManifestLeavesTheContentCacheAndAKeptOneStays(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let config = try await push(Array("{}".utf8), to: registry)
        let layer = try await push([7, 7], to: registry)
        let kept = try await putManifest(image(config: config, layers: [layer]), registry, tag: "v1")
        let gone = try await putManifest(image(config: config, layers: [layer], extra: #","annotations":{"a":"b"}"#), registry, tag: "v2")
        // Both pulled, so both are cached.
        for digest in [kept, gone] { _ = try await registry.getManifest(repo, .digest(digest)) }
        #expect(registry.manifestContent.get(gone) != nil)
        try await registry.deleteManifest(repo, .digest(gone))
        try await settle()

        let report = try await GarbageCollector(registry: registry, options: .init()).collect()

        #expect(report.blobsRemoved.map(\.digest) == [gone])
        #expect(registry.manifestContent.get(gone) == nil)
        #expect(registry.manifestContent.get(kept) != nil)
    }

    @Test(arguments: TestDrivers.local())
    func aDryRunReportsAndRemovesNothing(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let orphan = try await push([3, 3], to: registry)
        let report = try await GarbageCollector(registry: registry, options: .init(dryRun: true)).collect()
        #expect(report.blobsRemoved.map(\.digest) == [orphan])
        #expect(try await stored(orphan, driver))
    }

    @Test(arguments: TestDrivers.local())
    func untaggedManifestsGoButIndexChildrenAndReferrersOfKeptManifestsStay(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let config = try await push(Array("{}".utf8), to: registry)
        let amd = try await push([4, 4], to: registry)
        let arm = try await push([5, 5], to: registry)
        let lone = try await push([6, 6], to: registry)
        let childA = try await putManifest(image(config: config, layers: [amd]), registry)
        let childB = try await putManifest(image(config: config, layers: [arm]), registry)
        let list = try await putManifest(index([childA, childB]), registry, tag: "multi")
        let untagged = try await putManifest(image(config: config, layers: [lone]), registry)
        let subject = #","subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(childA)","size":2}"#
        let signature = try await putManifest(image(config: config, layers: [config], extra: subject), registry)
        let options = GarbageCollector.Options(untagged: .delete(after: .zero))
        try await settle()

        let report = try await GarbageCollector(registry: registry, options: options).collect()

        #expect(report.manifestsRemoved == [.init(repository: repo, digest: untagged)])
        #expect(Set(report.blobsRemoved.map(\.digest)) == [untagged, lone])
        for digest in [childA, childB, list, signature] {
            #expect(try await registry.getManifest(repo, .digest(digest)).digest == digest)
        }
        await #expect(throws: RegistryError.self) { try await registry.getManifest(repo, .digest(untagged)) }
        #expect(try await registry.referrers(repo, childA, artifactType: nil).map(\.digest) == [signature])
        // Without the policy, an untagged manifest is as live as a tagged one.
        let registry2 = Registry(driver: driver)
        let again = try await push([6, 6], to: registry2)
        let untagged2 = try await putManifest(image(config: config, layers: [again]), registry2)
        let kept = try await GarbageCollector(registry: registry2, options: .init()).collect()
        #expect(kept.blobsRemoved.isEmpty)
        #expect(try await registry2.getManifest(repo, .digest(untagged2)).digest == untagged2)
    }

    @Test func theGracePeriodKeepsWhatWasJustWritten() async throws {
        let driver = FileSystemDriver(root: TestDrivers.temporaryRoot())
        let registry = Registry(driver: driver)
        let orphan = try await push([3, 3], to: registry)
        let young = try await GarbageCollector(registry: registry, options: .init(grace: .seconds(3600))).collect()
        #expect(young.blobsRemoved.isEmpty && young.blobsTooYoung == 1)
        let later = try await GarbageCollector(registry: registry, options: .init(grace: .seconds(3600))).collect(now: Date().addingTimeInterval(7200))
        #expect(later.blobsRemoved.map(\.digest) == [orphan])
    }

    /// A manifest pushed just before the collector moves its layer aside: the push
    /// succeeds, the collector finds the journal entry and puts the layer back.
    @Test(arguments: TestDrivers.local())
    func aManifestPushedAsItsLayerIsSweptKeepsTheLayer(_ base: any StorageDriver) async throws {
        let driver = HookedDriver(base)
        let registry = Registry(driver: driver)
        let config = try await push(Array("{}".utf8), to: registry)
        let layer = try await push([7, 7], to: registry)
        _ = try await putManifest(image(config: config, layers: []), registry, tag: "base")
        let pushed = Mutex<Digest?>(nil)
        driver.beforeMove = { source in
            guard source == self.layout.blobData(layer) else { return }
            let digest = try await self.putManifest(self.image(config: config, layers: [layer]), registry, tag: "new")
            pushed.withLock { $0 = digest }
        }
        let report = try await GarbageCollector(registry: registry, options: .init()).collect()
        #expect(pushed.withLock { $0 } != nil)
        #expect(report.revived == 1 && report.blobsRemoved.isEmpty)
        #expect(try await stored(layer, base))
        #expect(try await registry.blobSize(repo, layer) == 2)
    }

    /// A manifest pushed just after: refused as naming an unknown blob (the client uploads
    /// it again), and the layer is back all the same.
    @Test(arguments: TestDrivers.local())
    func aManifestPushedAfterItsLayerWasMovedAsideIsRefused(_ base: any StorageDriver) async throws {
        let driver = HookedDriver(base)
        let registry = Registry(driver: driver)
        let config = try await push(Array("{}".utf8), to: registry)
        let layer = try await push([7, 7], to: registry)
        _ = try await putManifest(image(config: config, layers: []), registry, tag: "base")
        let refused = Mutex<RegistryError?>(nil)
        driver.afterMove = { source in
            guard source == self.layout.blobData(layer) else { return }
            do {
                _ = try await self.putManifest(self.image(config: config, layers: [layer]), registry, tag: "new")
            } catch let error as RegistryError {
                refused.withLock { $0 = error }
            }
        }
        _ = try await GarbageCollector(registry: registry, options: .init()).collect()
        #expect(refused.withLock { $0?.code } == .manifestBlobUnknown)
        #expect(try await stored(layer, base))
    }

    /// An upload of a blob the store holds, while the collector has it aside: the upload
    /// stores its own bytes, so the blob is there when the upload answers.
    @Test(arguments: TestDrivers.local())
    func anUploadOfABlobBeingSweptStoresItAgain(_ base: any StorageDriver) async throws {
        let driver = HookedDriver(base)
        let registry = Registry(driver: driver)
        let layer = try await push([8, 8], to: registry)
        driver.afterMove = { source in
            guard source == self.layout.blobData(layer) else { return }
            _ = try await self.push([8, 8], to: registry, in: RepositoryName("again")!)
        }
        _ = try await GarbageCollector(registry: registry, options: .init()).collect()
        #expect(try await registry.blobSize(RepositoryName("again")!, layer) == 2)
        #expect(try await base.contents(of: layout.blobData(layer), limit: 10) == [8, 8])
    }

    @Test(arguments: TestDrivers.local())
    func whatAnInterruptedCollectionLeftAsideIsPutBack(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let config = try await push(Array("{}".utf8), to: registry)
        _ = try await putManifest(image(config: config, layers: []), registry, tag: "v1")
        try await driver.move(from: layout.blobData(config), to: layout.quarantine(config))
        _ = try await GarbageCollector(registry: registry, options: .init()).collect()
        #expect(try await stored(config, driver))
    }

    /// Drivers whose files carry the time they were written, for rules about age.
    static func clockedDrivers() -> [any StorageDriver] {
        [InMemoryDriver(clock: { Date().timeIntervalSince1970 }), FileSystemDriver(root: TestDrivers.temporaryRoot())]
    }

    @Test(arguments: clockedDrivers())
    func retentionDeletesTheTagsNoConditionKeepsAndThenTheirImages(_ driver: any StorageDriver) async throws {
        var registryOptions = Registry.Options()
        registryOptions.immutableTags = [ImmutableTagRule(repositories: [RepositoryGlob("team/**")], tags: [RepositoryGlob("v0")])]
        let registry = Registry(driver: driver, options: registryOptions)
        let config = try await push(Array("{}".utf8), to: registry)
        var images = [String: (manifest: Digest, layer: Digest)]()
        for (index, tag) in ["v0", "keep-me", "t1", "t2", "t3", "t4", "t5"].enumerated() {
            let layer = try await push([UInt8(index), 42], to: registry)
            images[tag] = (try await putManifest(image(config: config, layers: [layer]), registry, tag: tag), layer)
        }
        var options = GarbageCollector.Options(dryRun: true)
        options.retention = [RetentionRule(repositories: [RepositoryGlob("team/**")], keepLast: 2, keepTags: [RepositoryGlob("keep-*")])]
        try await settle()

        let dry = try await GarbageCollector(registry: registry, options: options).collect()
        #expect(Set(dry.tagsRemoved.map(\.tag.value)) == ["t1", "t2", "t3"])
        #expect(try await registry.tags(repo, limit: 10, after: nil).items.count == 7)

        options.dryRun = false
        let report = try await GarbageCollector(registry: registry, options: options).collect()
        #expect(Set(report.tagsRemoved.map(\.tag.value)) == ["t1", "t2", "t3"])
        #expect(try await registry.tags(repo, limit: 10, after: nil).items == ["keep-me", "t4", "t5", "v0"])
        for tag in ["t1", "t2", "t3"] {
            #expect(try await !stored(images[tag]!.manifest, driver))
            #expect(try await !stored(images[tag]!.layer, driver))
        }
        for tag in ["keep-me", "t4", "t5", "v0"] {
            #expect(try await stored(images[tag]!.layer, driver))
        }
        // Repositories no rule covers keep every tag.
        let elsewhere = RepositoryName("other/app")!
        #expect(try await registry.mountBlob(elsewhere, config, from: repo))
        _ = try await putManifest(image(config: config, layers: []), registry, tag: "old", in: elsewhere)
        try await settle()
        #expect(try await GarbageCollector(registry: registry, options: options).collect().tagsRemoved.isEmpty)
    }

    /// A push of a tag retention is deleting, landing right as it goes: the tag is put
    /// back where the push pointed it.
    @Test(arguments: clockedDrivers())
    func aTagPushedAsRetentionDeletesItComesBack(_ base: any StorageDriver) async throws {
        let driver = HookedDriver(base)
        let registry = Registry(driver: driver)
        let config = try await push(Array("{}".utf8), to: registry)
        _ = try await putManifest(image(config: config, layers: [try await push([1, 9], to: registry)]), registry, tag: "old")
        _ = try await putManifest(image(config: config, layers: [try await push([2, 9], to: registry)]), registry, tag: "new")
        let fresh = image(config: config, layers: [try await push([3, 9], to: registry)])
        let pushed = Mutex(false)
        driver.beforeDelete = { path in
            guard path == self.layout.tagDirectory(self.repo, Tag("old")!), !pushed.withLock({ $0 }) else { return }
            pushed.withLock { $0 = true }
            // The push lands after the collector checked the tag and before it deletes it.
            _ = try await self.putManifest(fresh, registry, tag: "old")
        }
        var options = GarbageCollector.Options()
        options.retention = [RetentionRule(repositories: [RepositoryGlob("team/**")], keepLast: 1)]
        try await settle()
        _ = try await GarbageCollector(registry: registry, options: options).collect()
        #expect(try await registry.getManifest(repo, .tag(Tag("old")!)).bytes == fresh)
        #expect(try await stored(Digest.of([3, 9]), base))
    }

    /// A push of a tag retention is deleting that is refused (a blob it names is missing)
    /// has recorded the tag before its checks: the tag stays deleted, not pointed at a
    /// manifest that was never stored.
    @Test(arguments: clockedDrivers())
    func aRefusedPushOfATagRetentionDeletesDoesNotBringItBack(_ base: any StorageDriver) async throws {
        let driver = HookedDriver(base)
        let registry = Registry(driver: driver)
        let config = try await push(Array("{}".utf8), to: registry)
        _ = try await putManifest(image(config: config, layers: [try await push([1, 9], to: registry)]), registry, tag: "old")
        _ = try await putManifest(image(config: config, layers: [try await push([2, 9], to: registry)]), registry, tag: "new")
        // Names a layer nobody pushed.
        let refused = image(config: config, layers: [Digest.of([4, 4, 4])])
        let tried = Mutex(false)
        driver.beforeDelete = { path in
            guard path == self.layout.tagDirectory(self.repo, Tag("old")!), !tried.withLock({ $0 }) else { return }
            tried.withLock { $0 = true }
            _ = try? await self.putManifest(refused, registry, tag: "old")
        }
        var options = GarbageCollector.Options()
        options.retention = [RetentionRule(repositories: [RepositoryGlob("team/**")], keepLast: 1)]
        try await settle()
        let report = try await GarbageCollector(registry: registry, options: options).collect()
        #expect(tried.withLock { $0 })
        #expect(report.tagsRemoved.map(\.tag.value) == ["old"])
        #expect(try await driver.contents(of: layout.tagCurrentLink(repo, Tag("old")!), limit: 1024) == nil)
        #expect(try await registry.tags(repo, limit: 10, after: nil).items == ["new"])
    }

    /// Pull times that cannot be read (the index's database down or locked) must not read
    /// as "never pulled": that repository keeps every tag and manifest this collection, the
    /// report names it, and the rest is collected as ever.
    @Test(arguments: clockedDrivers())
    func aRepositoryWhosePullTimesCannotBeReadKeepsEverythingAndIsReported(_ driver: any StorageDriver) async throws {
        struct Unreadable: Error, CustomStringConvertible {
            var description: String { "database is locked" }
        }
        let registry = Registry(driver: driver)
        let elsewhere = RepositoryName("team/web")!
        let config = try await push(Array("{}".utf8), to: registry)
        #expect(try await registry.mountBlob(elsewhere, config, from: repo))
        let pulled = try await putManifest(image(config: config, layers: [try await push([1, 5], to: registry)]), registry, tag: "pulled")
        let untagged = try await putManifest(image(config: config, layers: [try await push([2, 5], to: registry)]), registry)
        let stale = try await putManifest(
            image(config: config, layers: [try await push([3, 5], to: registry, in: elsewhere)]), registry, tag: "stale", in: elsewhere
        )
        let orphan = try await push([4, 5], to: registry)
        var options = GarbageCollector.Options()
        options.retention = [RetentionRule(repositories: [RepositoryGlob("team/**")], keepWithin: .seconds(3600))]
        options.lastPulled = { [repo] name in
            guard name != repo else { throw Unreadable() }
            return [:]
        }

        // Two hours on, every tag was pushed outside the rule's hour.
        let report = try await GarbageCollector(registry: registry, options: options).collect(now: Date().addingTimeInterval(7200))

        #expect(report.retentionSkipped == [.init(repository: repo, reason: "database is locked")])
        #expect(report.tagsRemoved.map(\.repository) == [elsewhere])
        #expect(try await registry.getManifest(repo, .tag(Tag("pulled")!)).digest == pulled)
        #expect(try await registry.getManifest(repo, .digest(untagged)).digest == untagged)
        #expect(try await !stored(stale, driver))
        #expect(report.blobsRemoved.map(\.digest).contains(orphan))
    }

    @Test func retentionKeepsTagsPushedOrPulledWithinItsWindow() {
        let rule = RetentionRule(repositories: [RepositoryGlob("**")], keepWithin: .seconds(3600))
        let now = 1_000_000.0
        let tags: [(tag: OCI.Tag, pushed: Double, pulled: Double?)] = [
            (OCI.Tag("fresh")!, now - 60, nil),
            (OCI.Tag("pulled")!, now - 7200, now - 60),
            (OCI.Tag("stale")!, now - 7200, now - 7000),
        ]
        let stale = OCI.Tag("stale")!
        #expect(rule.expired(tags, now: now) == [stale])
    }

    @Test func theReferenceJournalIsPrunedWhereNothingCollects() async throws {
        let driver = InMemoryDriver()
        let registry = Registry(driver: driver)
        let old = Registry.nowMilliseconds() - Registry.journalRetentionForWriters - 120_000
        try await driver.write([1], to: layout.referenceEntry(at: old, id: "old"))
        let config = try await push(Array("{}".utf8), to: registry)
        _ = try await putManifest(image(config: config, layers: []), registry, tag: "v1")
        var minutes = [String]()
        for _ in 0..<100 {
            minutes = try await driver.list(layout.referenceJournal) ?? []
            if minutes.count == 1 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        // Only this minute's (the push's) is left; the old one went.
        #expect(minutes.count == 1 && !minutes.contains(Layout.journalTime(old / 60_000)))
    }

    @Test func oneCollectorHoldsTheLeaseAtATime() async throws {
        let registry = Registry(driver: InMemoryDriver())
        let first = CollectorLease(registry: registry, owner: "a")
        let second = CollectorLease(registry: registry, owner: "b")
        #expect(try await first.acquire())
        #expect(try await !second.acquire())
        try await first.release(succeeded: true)
        #expect(try await first.lastSuccess() != nil)
        #expect(try await second.acquire())
        // An expired lease is free again.
        #expect(try await first.acquire(now: Date().addingTimeInterval(600)))
    }

    /// What `pier_gc_last_success_timestamp_seconds` reads: on a store never collected, the
    /// first look (set-up), kept across restarts and instances, not 0; after a collection,
    /// its end.
    @Test func theIntervalCountsFromSetUpUntilTheFirstCollectionAndFromTheLastAfter() async throws {
        let registry = Registry(driver: InMemoryDriver())
        let setUp = Date(timeIntervalSince1970: 1_700_000_000)
        let lease = CollectorLease(registry: registry, owner: "a")
        #expect(try await lease.intervalStart(now: setUp) == setUp)
        #expect(try await lease.lastSuccess() == nil)
        // A restart, or another instance, a day later: still the set-up.
        let restarted = CollectorLease(registry: registry, owner: "b")
        #expect(try await restarted.intervalStart(now: setUp.addingTimeInterval(86400)) == setUp)
        #expect(try await restarted.acquire())
        let finished = setUp.addingTimeInterval(90000)
        try await restarted.release(succeeded: true, now: finished)
        #expect(try await lease.intervalStart(now: finished.addingTimeInterval(60)) == finished)
        // A failed collection keeps the last success.
        #expect(try await lease.acquire())
        try await lease.release(succeeded: false, now: finished.addingTimeInterval(120))
        #expect(try await restarted.intervalStart() == finished)
    }

    @Test func bytesNoParserKnowsAreMarkedByEveryDigestTheyMention() {
        let a = Digest.of([1]), b = Digest.of([2])
        let schema1 = Array(#"{"schemaVersion":1,"fsLayers":[{"blobSum":"\#(a)"},{"blobSum":"\#(b)"}]}"#.utf8)
        #expect(Set(GarbageCollector.references(in: schema1).blobs) == [a, b])
        #expect(GarbageCollector.references(in: [0x1f, 0x8b, 0, 1]).blobs.isEmpty)
    }

    /// A compressed layer a write relied on during the sweep is kept, and never read whole
    /// to look for the digests a manifest would name.
    @Test(arguments: TestDrivers.local())
    func aLayerTheJournalNamesIsKeptWithoutBeingReadWhole(_ base: any StorageDriver) async throws {
        let driver = HookedDriver(base)
        let registry = Registry(driver: driver)
        let gzip: [UInt8] = [0x1f, 0x8b, 0x08, 0x00] + (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let layer = try await push(gzip, to: registry)
        driver.beforeMove = { source in
            guard source == self.layout.blobData(layer) else { return }
            try await registry.noteReferences([layer])
        }
        let report = try await GarbageCollector(registry: registry, options: .init()).collect()
        #expect(report.revived == 1 && report.blobsRemoved.isEmpty)
        #expect(try await stored(layer, base))
        let read = driver.wholeReads.withLock { $0 }
        #expect(!read.contains(layout.blobData(layer)) && !read.contains(layout.quarantine(layer)))
    }

    /// A minute of the journal the collector read whole and that has settled is not
    /// listed again; the minutes after it are.
    @Test func aSettledJournalMinuteIsNotListedAgain() async throws {
        let driver = InMemoryDriver()
        let registry = Registry(driver: driver)
        let minute: Int64 = 29_000_000
        for (offset, id) in [(1_000, "a"), (61_000, "b"), (125_000, "c")] {
            try await driver.write(Array("sha256:\(String(repeating: "0", count: 64))".utf8), to: layout.referenceEntry(at: minute * 60_000 + Int64(offset), id: id), durable: false)
        }
        let all = try await registry.referenceEntries(since: minute * 60_000)
        #expect(all.count == 3)
        let after = try await registry.referenceEntries(since: minute * 60_000, skippingThrough: minute)
        #expect(after.count == 2 && after.allSatisfy { !$0.hasPrefix(Layout.journalTime(minute) + "/") })
        #expect(try await registry.referenceEntries(since: minute * 60_000, skippingThrough: minute + 2).isEmpty)
    }
}

/// A driver that runs a hook around moves, to put a write exactly between the collector's
/// steps.
final class HookedDriver: StorageDriver, @unchecked Sendable {
    let base: any StorageDriver
    var beforeMove: (@Sendable (String) async throws -> Void)?
    var afterMove: (@Sendable (String) async throws -> Void)?
    /// Every path read whole, in order.
    let wholeReads = Mutex<[String]>([])

    init(_ base: any StorageDriver) { self.base = base }

    var name: String { base.name }
    var isShared: Bool { base.isShared }
    func contents(of path: String, limit: Int) async throws -> [UInt8]? {
        wholeReads.withLock { $0.append(path) }
        return try await base.contents(of: path, limit: limit)
    }
    func write(_ bytes: [UInt8], to path: String, durable: Bool) async throws { try await base.write(bytes, to: path, durable: durable) }
    func stat(_ path: String) async throws -> StorageEntryInfo? { try await base.stat(path) }
    func fileInfo(_ path: String) async throws -> StorageEntryInfo? { try await base.fileInfo(path) }
    func list(_ path: String) async throws -> [String]? { try await base.list(path) }
    func list(_ path: String, after name: String) async throws -> [String] { try await base.list(path, after: name) }
    var beforeDelete: (@Sendable (String) async throws -> Void)?
    func delete(_ path: String) async throws {
        if let hook = beforeDelete { try await hook(path) }
        try await base.delete(path)
    }
    func removeIfEmpty(_ path: String) async throws { try await base.removeIfEmpty(path) }
    func move(from source: String, to destination: String) async throws {
        // The hooks see every move into quarantine; each acts on the one it waits for.
        if let hook = beforeMove, destination.contains("/_pier/gc/quarantine/") {
            try await hook(source)
        }
        try await base.move(from: source, to: destination)
        if let hook = afterMove, destination.contains("/_pier/gc/quarantine/") {
            try await hook(source)
        }
    }
    func read(_ path: String, range: Range<Int64>?, into body: (ByteBuffer) async throws -> Void) async throws {
        try await base.read(path, range: range, into: body)
    }
    func localFile(_ path: String) -> String? { base.localFile(path) }
    func openUpload(_ session: UploadLocation, destination: String?) async throws -> any StorageUpload {
        try await base.openUpload(session, destination: destination)
    }
    func uploadSize(_ session: UploadLocation) async throws -> Int64 { try await base.uploadSize(session) }
    func deleteUpload(_ session: UploadLocation) async throws { try await base.deleteUpload(session) }
}
