import Foundation
import NIOCore
import OCI
import Storage
import TestSupport
import Testing
@testable import Registry

/// The registry's behaviour over each local driver: the in-memory one and the filesystem.
@Suite struct RegistryTests {
    let repo = RepositoryName("team/app")!

    func push(_ bytes: [UInt8], to registry: Registry) async throws -> Digest {
        let digest = Digest.of(bytes)
        try await registry.uploadMonolithic(repo, digest: digest, body: Chunks(bytes))
        return digest
    }

    @Test(arguments: TestDrivers.local())
    func chunkedUploadCommitsIntoDistributionLayout(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let id = try await registry.startUpload(repo)
        #expect(try await registry.appendUpload(repo, id, at: 0, body: Chunks(Array("abc".utf8))) == 3)
        #expect(try await registry.appendUpload(repo, id, at: nil, body: Chunks(Array("de".utf8), Array("f".utf8))) == 6)
        let digest = Digest.of(Array("abcdef".utf8))
        try await registry.completeUpload(repo, id, digest: digest, at: nil, body: Chunks())
        #expect(try await registry.blobSize(repo, digest) == 6)
        let layout = Layout()
        #expect(try await driver.contents(of: layout.layerLink(repo, digest), limit: 100) == Array(digest.description.utf8))
        #expect(try await driver.stat(layout.upload(repo, id).directory) == nil)
    }

    @Test(arguments: TestDrivers.local())
    func aLargeChunkedPushIsVerifiedAgainstEveryByte(_ driver: any StorageDriver) async throws {
        // Chunks around a store's 1 MiB write batches, in two PATCHes and the closing PUT:
        // small ones gathered into a batch, a large one behind a small one, large ones
        // alone at a request's start and back to back (each written as it came), and a
        // tail. The digest must cover each byte once, in order, and the blob hold them all.
        let mebibyte = 1 << 20
        let requests = [
            [300_000, mebibyte + 1, 300_002],
            [2 * mebibyte + 3, mebibyte + 4, 5],
            [300_006, 3 * mebibyte + 7],
        ].enumerated().map { request, sizes in
            sizes.enumerated().map { part, size in
                (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ request &* 3 &+ part) }
            }
        }
        let whole = requests.flatMap { $0.flatMap { $0 } }
        let registry = Registry(driver: driver)
        let id = try await registry.startUpload(repo)
        var offset: Int64 = 0
        for parts in requests.dropLast() {
            offset = try await registry.appendUpload(repo, id, at: offset, body: Chunks(parts: parts))
        }
        let digest = Digest.of(whole)
        try await registry.completeUpload(repo, id, digest: digest, at: nil, body: Chunks(parts: requests[2]))
        #expect(try await registry.blobSize(repo, digest) == Int64(whole.count))
        #expect(try await driver.contents(of: Layout().blobData(digest), limit: whole.count) == whole)

        let wrong = Digest.of(whole + [0])
        await #expect(throws: RegistryError.self) {
            try await registry.uploadMonolithic(repo, digest: wrong, body: Chunks(parts: requests.flatMap { $0 }))
        }
        #expect(try await driver.stat(Layout().blobData(wrong)) == nil)
    }

    @Test(arguments: TestDrivers.local())
    func outOfOrderChunkIsRefusedAndUploadSurvives(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let id = try await registry.startUpload(repo)
        _ = try await registry.appendUpload(repo, id, at: 0, body: Chunks([1, 2, 3]))
        await #expect(throws: RegistryError(.rangeInvalid, "chunk out of order", detail: "chunk starts at 10 but the upload holds 3 bytes")) {
            try await registry.appendUpload(repo, id, at: 10, body: Chunks([4]))
        }
        #expect(try await registry.uploadSize(repo, id) == 3)
    }

    @Test(arguments: TestDrivers.local())
    func resumedUploadWithoutCachedHashIsRehashed(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let id = try await registry.startUpload(repo)
        _ = try await registry.appendUpload(repo, id, at: 0, body: Chunks([1, 2, 3]))
        // A fresh Registry over the same storage: as after a restart, or on another instance.
        let other = Registry(driver: driver)
        _ = try await other.appendUpload(repo, id, at: 3, body: Chunks([4]))
        try await other.completeUpload(repo, id, digest: Digest.of([1, 2, 3, 4]), at: nil, body: Chunks())
        #expect(try await other.blobSize(repo, Digest.of([1, 2, 3, 4])) == 4)
    }

    @Test(arguments: TestDrivers.local())
    func digestMismatchLeavesNothingVisible(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let wrong = Digest.of([9])
        await #expect(throws: RegistryError.self) {
            try await registry.uploadMonolithic(repo, digest: wrong, body: Chunks([1, 2]))
        }
        await #expect(throws: RegistryError.blobUnknown(wrong)) { try await registry.blobSize(repo, wrong) }
        #expect(try await driver.stat(Layout().blobData(wrong)) == nil)
        #expect((try await driver.list(Layout().uploadsDirectory(repo)) ?? []).isEmpty)
    }

    @Test(arguments: TestDrivers.local())
    func mountLinksExistingBlobs(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let digest = try await push([7, 7], to: registry)
        let target = RepositoryName("other")!
        #expect(try await registry.mountBlob(target, digest, from: repo))
        #expect(try await registry.mountBlob(RepositoryName("third")!, digest, from: nil))
        #expect(try await !registry.mountBlob(target, digest, from: RepositoryName("nowhere")!))
        #expect(try await !registry.mountBlob(target, Digest.of([0]), from: nil))
        #expect(try await registry.blobSize(target, digest) == 2)
    }

    func imageManifest(config: Digest, layer: Digest, extra: String = "") -> [UInt8] {
        Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(config)","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\#(layer)","size":2}]\#(extra)}"#.utf8)
    }

    @Test(arguments: TestDrivers.local())
    func manifestsRoundTripByteExactAndTagsMove(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let config = try await push(Array("{}".utf8), to: registry)
        let layer = try await push([1, 2], to: registry)
        let bytes = imageManifest(config: config, layer: layer)
        let (stored, _) = try await registry.putManifest(repo, reference: .tag(Tag("v1")!), bytes: bytes, contentType: MediaType.ociManifest)
        let fetched = try await registry.getManifest(repo, .tag(Tag("v1")!))
        #expect(fetched.bytes == bytes)
        #expect(fetched.digest == stored.digest)
        #expect(fetched.mediaType == MediaType.ociManifest)
        _ = try await registry.putManifest(repo, reference: .tag(Tag("v2")!), bytes: bytes, contentType: nil)
        #expect(try await registry.tags(repo, limit: 10, after: nil) == Page(items: ["v1", "v2"], hasMore: false))
        try await registry.deleteManifest(repo, .tag(Tag("v1")!))
        #expect(try await registry.tags(repo, limit: 10, after: nil).items == ["v2"])
        try await registry.deleteManifest(repo, .digest(stored.digest))
        #expect(try await registry.tags(repo, limit: 10, after: nil).items == [])
        await #expect(throws: RegistryError.self) { try await registry.getManifest(repo, .digest(stored.digest)) }
    }

    @Test(arguments: TestDrivers.local())
    func manifestWithMissingBlobIsRefused(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let config = try await push(Array("{}".utf8), to: registry)
        let bytes = imageManifest(config: config, layer: Digest.of([5]))
        await #expect(throws: RegistryError(.manifestBlobUnknown, "blob unknown to registry", detail: Digest.of([5]).description)) {
            try await registry.putManifest(repo, reference: .tag(Tag("x")!), bytes: bytes, contentType: nil)
        }
    }

    @Test(arguments: TestDrivers.local())
    func pushByWrongDigestIsRefused(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let config = try await push(Array("{}".utf8), to: registry)
        let bytes = imageManifest(config: config, layer: config)
        await #expect(throws: RegistryError.self) {
            try await registry.putManifest(repo, reference: .digest(Digest.of([1])), bytes: bytes, contentType: nil)
        }
    }

    @Test(arguments: TestDrivers.local())
    func referrersAreIndexedOnPushAndForgottenOnDelete(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let config = try await push(Array("{}".utf8), to: registry)
        let subject = Digest.of(Array("not pushed yet".utf8))
        let extra = #","artifactType":"application/x.sbom","subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(subject)","size":14},"annotations":{"a":"b"}"#
        let bytes = imageManifest(config: config, layer: config, extra: extra)
        let (stored, manifest) = try await registry.putManifest(repo, reference: .digest(Digest.of(bytes)), bytes: bytes, contentType: nil)
        #expect(manifest.subject?.digest == subject)
        let found = try await registry.referrers(repo, subject, artifactType: nil)
        #expect(found.map(\.digest) == [stored.digest])
        #expect(found.first?.artifactType == "application/x.sbom")
        #expect(found.first?.annotations == ["a": "b"])
        #expect(try await registry.referrers(repo, subject, artifactType: "other").isEmpty)
        try await registry.deleteManifest(repo, .digest(stored.digest))
        #expect(try await registry.referrers(repo, subject, artifactType: nil).isEmpty)
    }

    @Test(arguments: TestDrivers.local())
    func catalogListsRepositoriesInPathOrderWithPages(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let config = try await push(Array("{}".utf8), to: registry)
        for name in ["b", "a/b", "a-b", "a"] {
            let repo = RepositoryName(name)!
            #expect(try await registry.mountBlob(repo, config, from: nil))
            let bytes = imageManifest(config: config, layer: config)
            _ = try await registry.putManifest(repo, reference: .tag(Tag("t")!), bytes: bytes, contentType: nil)
        }
        // team/app holds only blobs: distribution 2.x lists it too.
        #expect(try await registry.catalog(limit: 100, after: nil).items == ["a", "a-b", "a/b", "b", "team/app"])
        #expect(try await registry.catalog(limit: 2, after: "a-b") == Page(items: ["a/b", "b"], hasMore: true))
    }

    @Test(arguments: TestDrivers.local())
    func deletesCanBeDisabled(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver, options: .init(deleteEnabled: false))
        let digest = try await push([1], to: registry)
        await #expect(throws: RegistryError.self) { try await registry.deleteBlob(repo, digest) }
        #expect(try await registry.blobSize(repo, digest) == 1)
    }
}

@Suite struct MaintenanceTests {
    let repo = RepositoryName("team/app")!

    @Test func readOnlyRefusesWritesAndServesReads() async throws {
        let driver = InMemoryDriver()
        let digest = Digest.of([1])
        try await Registry(driver: driver).uploadMonolithic(repo, digest: digest, body: Chunks([1]))
        let registry = Registry(driver: driver, options: .init(readOnly: true))
        #expect(try await registry.blobSize(repo, digest) == 1)
        await #expect(throws: RegistryError.self) { try await registry.startUpload(repo) }
        await #expect(throws: RegistryError.self) { try await registry.deleteBlob(repo, digest) }
        await #expect(throws: RegistryError.self) { try await registry.mountBlob(RepositoryName("x")!, digest, from: nil) }
    }

    @Test func purgingRemovesOnlyOldSessions() async throws {
        let registry = Registry(driver: InMemoryDriver())
        let old = try await registry.startUpload(repo)
        let young = try await registry.startUpload(RepositoryName("other/deep")!)
        // Seen from two hours later, a one-hour limit catches both; a three-hour limit none.
        let later = Date().addingTimeInterval(7200)
        let dry = try await registry.purgeUploads(olderThan: .seconds(3600), dryRun: true, now: later)
        #expect(dry.purged.count == 2)
        #expect(try await registry.uploadSize(repo, old) == 0)
        let none = try await registry.purgeUploads(olderThan: .seconds(3 * 3600), dryRun: false, now: later)
        #expect(none.purged.isEmpty && none.kept == 2)
        let report = try await registry.purgeUploads(olderThan: .seconds(3600), dryRun: false, now: later)
        #expect(report.purged.sorted() == ["other/deep/_uploads/\(young)", "team/app/_uploads/\(old)"])
        await #expect(throws: RegistryError.self) { try await registry.uploadSize(repo, old) }
    }
}

/// A body that delivers some bytes, more than a store's write batch, then fails as a
/// dropped connection does.
struct BrokenBody: AsyncSequence {
    typealias Element = ByteBuffer
    struct Dropped: Error {}

    struct AsyncIterator: AsyncIteratorProtocol {
        var sent = 0
        mutating func next() async throws -> ByteBuffer? {
            guard sent < 2 else { throw Dropped() }
            sent += 1
            return ByteBuffer(repeating: 9, count: sent == 1 ? 3 : (1 << 20) + 3)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator() }
}

@Suite struct InterruptedUploadTests {
    @Test(arguments: TestDrivers.local())
    func aChunkThatBreaksOffIsUndone(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let repo = RepositoryName("team/app")!
        let id = try await registry.startUpload(repo)
        _ = try await registry.appendUpload(repo, id, at: 0, body: Chunks([1, 2]))
        await #expect(throws: BrokenBody.Dropped.self) {
            try await registry.appendUpload(repo, id, at: 2, body: BrokenBody())
        }
        #expect(try await registry.uploadSize(repo, id) == 2)
        _ = try await registry.appendUpload(repo, id, at: 2, body: Chunks([3]))
        try await registry.completeUpload(repo, id, digest: Digest.of([1, 2, 3]), at: nil, body: Chunks())
        #expect(try await registry.blobSize(repo, Digest.of([1, 2, 3])) == 3)
    }
}
