import OCI
import TestSupport
import Testing
@testable import Registry

/// Each kind of change is published once, by the registry, whatever called it: these calls
/// are made without HTTP, as the mirror, garbage collection or an import command make them.
@Suite struct ContentEventTests {
    let sink = RecordingEventSink()
    let repo = RepositoryName("team/app")!
    let origin = RequestOrigin(actor: "alice", address: "10.0.0.1:4242", method: "PUT", userAgent: "test")
    var registry: Registry { Registry(driver: InMemoryDriver(), events: sink) }

    func blob(_ bytes: [UInt8], in registry: Registry) async throws -> Digest {
        let digest = Digest.of(bytes)
        try await registry.uploadMonolithic(repo, digest: digest, body: Chunks(bytes), origin: origin)
        return digest
    }

    func manifest(_ registry: Registry) async throws -> [UInt8] {
        let config = try await blob(Array("{}".utf8), in: registry)
        return Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(config)","size":2},"layers":[]}"#.utf8)
    }

    @Test func aMonolithicBlobPushIsOnePushWithItsSizeAndOrigin() async throws {
        let digest = try await blob([1, 2, 3], in: registry)
        #expect(sink.events == [ContentEvent(.push, repo, .blob(digest, size: 3), origin: origin)])
    }

    @Test func aChunkedUploadIsOnePushWhenItCompletesAndNoneBefore() async throws {
        let registry = registry
        let id = try await registry.startUpload(repo)
        _ = try await registry.appendUpload(repo, id, at: 0, body: Chunks([1, 2]))
        #expect(sink.events.isEmpty)
        let digest = Digest.of([1, 2, 3])
        try await registry.completeUpload(repo, id, digest: digest, at: nil, body: Chunks([3]), origin: origin)
        #expect(sink.events == [ContentEvent(.push, repo, .blob(digest, size: 3), origin: origin)])
    }

    @Test func aFailedUploadPublishesNothing() async throws {
        await #expect(throws: RegistryError.self) {
            try await registry.uploadMonolithic(repo, digest: Digest.of([9]), body: Chunks([1]), origin: origin)
        }
        #expect(sink.events.isEmpty)
    }

    @Test func aMountIsOneMountNamingItsSourceAndARefusedOneNone() async throws {
        let registry = registry
        let digest = try await blob([4, 5], in: registry)
        sink.reset()
        let other = RepositoryName("other")!
        #expect(try await registry.mountBlob(other, digest, from: repo, origin: origin))
        #expect(try await !registry.mountBlob(other, Digest.of([0]), from: repo, origin: origin))
        #expect(sink.events == [ContentEvent(.mount, other, .blob(digest, size: 2), from: repo, origin: origin)])
    }

    @Test func aBlobDeleteIsOneDelete() async throws {
        let registry = registry
        let digest = try await blob([6], in: registry)
        sink.reset()
        try await registry.deleteBlob(repo, digest, origin: origin)
        await #expect(throws: RegistryError.self) { try await registry.deleteBlob(repo, digest, origin: origin) }
        #expect(sink.events == [ContentEvent(.delete, repo, .blob(digest, size: nil), origin: origin)])
    }

    @Test func aBlobPullIsOnePullAndAHeadOrAnUnsatisfiableRangeNone() async throws {
        let registry = registry
        let digest = try await blob([1, 2, 3, 4], in: registry)
        sink.reset()
        _ = try await registry.blobSize(repo, digest)
        await #expect(throws: RegistryError.self) {
            try await registry.pullBlob(repo, digest, range: ByteRange("bytes=9-"), origin: origin)
        }
        let content = try await registry.pullBlob(repo, digest, range: ByteRange("bytes=1-2"), origin: origin)
        #expect(content.size == 4 && content.range == 1..<3 && content.length == 2)
        #expect(sink.events == [ContentEvent(.pull, repo, .blob(digest, size: 4), origin: origin)])
    }

    @Test func aManifestPushByTagIsOnePushNamingTheTag() async throws {
        let registry = registry
        let bytes = try await manifest(registry)
        sink.reset()
        let tag = Tag("v1")!
        let (stored, _) = try await registry.putManifest(repo, reference: .tag(tag), bytes: bytes, contentType: nil, origin: origin)
        _ = try await registry.putManifest(repo, reference: .digest(stored.digest), bytes: bytes, contentType: nil, origin: origin)
        let object = ContentEvent.Object.manifest(stored.digest, mediaType: MediaType.ociManifest, size: Int64(bytes.count))
        #expect(sink.events == [
            ContentEvent(.push, repo, object, tag: tag, origin: origin),
            ContentEvent(.push, repo, object, origin: origin),
        ])
    }

    @Test func aManifestPullIsOnePullAndAHeadNone() async throws {
        let registry = registry
        let bytes = try await manifest(registry)
        let tag = Tag("v1")!
        let (stored, _) = try await registry.putManifest(repo, reference: .tag(tag), bytes: bytes, contentType: nil, origin: origin)
        sink.reset()
        _ = try await registry.getManifest(repo, .tag(tag))
        _ = try await registry.pullManifest(repo, .tag(tag), origin: origin)
        let object = ContentEvent.Object.manifest(stored.digest, mediaType: MediaType.ociManifest, size: Int64(bytes.count))
        #expect(sink.events == [ContentEvent(.pull, repo, object, tag: tag, origin: origin)])
    }

    @Test func aManifestDeleteByDigestIsFollowedByADeleteOfEachTagItTookAsInDistribution() async throws {
        let registry = registry
        let bytes = try await manifest(registry)
        let tag = Tag("v1")!
        let (stored, _) = try await registry.putManifest(repo, reference: .tag(tag), bytes: bytes, contentType: nil, origin: origin)
        _ = try await registry.putManifest(repo, reference: .tag(Tag("v2")!), bytes: bytes, contentType: nil, origin: origin)
        sink.reset()
        try await registry.deleteManifest(repo, .tag(tag), origin: origin)
        // Deleting by digest removes the remaining tag with it, and says so after the manifest.
        try await registry.deleteManifest(repo, .digest(stored.digest), origin: origin)
        #expect(sink.events == [
            ContentEvent(.delete, repo, .tag(tag), origin: origin),
            ContentEvent(.delete, repo, .manifest(stored.digest, mediaType: nil, size: nil), origin: origin),
            ContentEvent(.delete, repo, .tag(Tag("v2")!), origin: origin),
        ])
    }

    @Test func aRepositoryDeleteIsOneManifestDeleteEachAndLeavesNestedRepositories() async throws {
        let registry = registry
        let bytes = try await manifest(registry)
        let (stored, _) = try await registry.putManifest(repo, reference: .tag(Tag("v1")!), bytes: bytes, contentType: nil, origin: origin)
        let nested = RepositoryName("team/app/sub")!
        _ = try await registry.mountBlob(nested, Digest.of(Array("{}".utf8)), from: repo, origin: origin)
        _ = try await registry.putManifest(nested, reference: .tag(Tag("v1")!), bytes: bytes, contentType: nil, origin: origin)
        sink.reset()
        let deletion = try await registry.deleteRepository(repo, origin: origin)
        #expect(deletion.manifests == 1)
        // Marked as the repository's deletion: webhooks keep what they need to deliver it.
        #expect(sink.events == [
            ContentEvent(.delete, repo, .manifest(stored.digest, mediaType: nil, size: nil), origin: origin, repositoryDeletion: true)
        ])
        await #expect(throws: RegistryError.self) { try await registry.tags(repo, limit: 10, after: nil) }
        #expect(try await registry.tags(nested, limit: 10, after: nil).items == ["v1"])
        await #expect(throws: RegistryError.self) { try await registry.deleteRepository(repo, origin: origin) }
    }

    @Test func aRegistryWithoutSubscribersSaysSoAndAFanOutReachesEverySubscriber() async throws {
        #expect(Registry(driver: InMemoryDriver()).eventDetail == .none)
        let second = RecordingEventSink()
        let registry = Registry(driver: InMemoryDriver(), events: ContentEventFanOut([sink, NoContentEvents(), second]))
        #expect(registry.eventDetail == .full)
        #expect(ContentEventFanOut([NoContentEvents(), IndexOnlyActor()]).detail == .actor)
        let digest = try await blob([8], in: registry)
        #expect(sink.events.count == 1 && second.events == sink.events && sink.events.first?.object == .blob(digest, size: 1))
    }

    @Test func aPushByDigestWithTagsIsOnePushPerTagAllAtThatDigest() async throws {
        let registry = registry
        let bytes = try await manifest(registry)
        sink.reset()
        let digest = Digest.of(bytes, algorithm: .sha512)
        let tags = [Tag("a")!, Tag("b")!]
        let (stored, _) = try await registry.putManifest(
            repo, reference: .digest(digest), bytes: bytes, contentType: nil, tags: tags, origin: origin
        )
        #expect(stored.digest == digest)
        let object = ContentEvent.Object.manifest(digest, mediaType: MediaType.ociManifest, size: Int64(bytes.count))
        #expect(sink.events == tags.map { ContentEvent(.push, repo, object, tag: $0, origin: origin) })
        for tag in tags { #expect(try await registry.resolve(repo, .tag(tag)) == digest) }
    }
}

/// A subscriber that reads only who acted, as the index does.
private struct IndexOnlyActor: ContentEventSink {
    func receive(_ event: ContentEvent) async {}
    var detail: EventDetail { .actor }
}
