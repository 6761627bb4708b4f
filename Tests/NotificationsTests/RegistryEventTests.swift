import Notifications
import OCI
import Registry
import Testing

/// The registry's events become distribution's envelope with the fields distribution
/// fills for each action, and nothing more.
@Suite struct RegistryEventTests {
    let source = RegistryEvent.Source(addr: "host:5000", instanceID: "i")
    let repo = RepositoryName("team/app")!
    let digest = Digest.of([1, 2, 3])
    let origin = RequestOrigin(
        id: "req", actor: "alice", address: "10.0.0.1:4242", host: "reg:5000", method: "PUT", userAgent: "ua",
        linkBase: "https://reg:5000"
    )

    @Test func aBlobPushNamesTypeSizeAndLink() {
        let event = RegistryEvent(ContentEvent(.push, repo, .blob(digest, size: 3), origin: origin), source: source)
        #expect(event.action == "push")
        #expect(event.target == RegistryEvent.Target(
            mediaType: "application/octet-stream", digest: digest.description, size: 3, repository: "team/app",
            url: "https://reg:5000/v2/team/app/blobs/\(digest)"
        ))
        #expect(event.request == RegistryEvent.Request(id: "req", addr: "10.0.0.1:4242", host: "reg:5000", method: "PUT", useragent: "ua"))
        #expect(event.actor.name == "alice" && event.source == source)
    }

    @Test func aMountNamesItsSource() {
        let event = RegistryEvent(ContentEvent(.mount, repo, .blob(digest, size: 3), from: RepositoryName("base"), origin: origin), source: source)
        #expect(event.target.fromRepository == "base")
    }

    @Test func deletesNameOnlyWhatWasDeleted() {
        let blob = RegistryEvent(ContentEvent(.delete, repo, .blob(digest, size: nil), origin: origin), source: source)
        #expect(blob.target == RegistryEvent.Target(digest: digest.description, repository: "team/app"))
        let manifest = RegistryEvent(ContentEvent(.delete, repo, .manifest(digest, mediaType: nil, size: nil), origin: origin), source: source)
        #expect(manifest.target == RegistryEvent.Target(digest: digest.description, repository: "team/app"))
        let tag = RegistryEvent(ContentEvent(.delete, repo, .tag(Tag("v1")!), origin: origin), source: source)
        #expect(tag.target == RegistryEvent.Target(repository: "team/app", tag: "v1"))
    }

    @Test func aManifestPushByTagNamesTheTagAndLinksByDigest() {
        let object = ContentEvent.Object.manifest(digest, mediaType: MediaType.ociManifest, size: 10)
        let event = RegistryEvent(ContentEvent(.push, repo, object, tag: Tag("v1"), origin: origin), source: source)
        #expect(event.target == RegistryEvent.Target(
            mediaType: MediaType.ociManifest, digest: digest.description, size: 10, repository: "team/app",
            url: "https://reg:5000/v2/team/app/manifests/\(digest)", tag: "v1"
        ))
    }

    @Test func anOriginWithoutIdGetsAFreshOneAndNoLinkBaseMeansNoURL() {
        let local = RequestOrigin.internal("import")
        let first = RegistryEvent(ContentEvent(.push, repo, .blob(digest, size: 3), origin: local), source: source)
        let second = RegistryEvent(ContentEvent(.push, repo, .blob(digest, size: 3), origin: local), source: source)
        #expect(!first.request.id.isEmpty && first.request.id != second.request.id)
        #expect(first.target.url == nil && first.request.method == "import" && first.actor.name == nil)
    }
}
