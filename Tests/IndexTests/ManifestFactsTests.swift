import OCI
import Registry
import TestSupport
import Testing
@testable import Index

@Suite struct ManifestFactsTests {
    /// Go writes `created` with nanoseconds; buildkit's reproducible builds write 1970.
    @Test(arguments: [
        ("2026-03-01T12:30:45.123456789Z", Int64(1_772_368_245_123)),
        ("2026-03-01T12:30:45Z", Int64(1_772_368_245_000)),
        ("2026-03-01T13:30:45.5+01:00", Int64(1_772_368_245_500)),
        ("1970-01-01T00:00:00Z", Int64(0)),
    ])
    func aConfigsCreatedTimeIsReadToTheMillisecond(_ text: String, _ expected: Int64) {
        #expect(ManifestFacts.milliseconds(text) == expected)
    }

    @Test(arguments: ["", "yesterday", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00Z"])
    func aTimeThatIsNoneIsLeftOut(_ text: String) {
        #expect(ManifestFacts.milliseconds(text) == nil)
    }

    /// An image of one platform names it only in its config; the tag list shows it like an
    /// index's platforms.
    @Test func aSinglePlatformImageReadsItsPlatformFromItsConfig() async throws {
        let registry = Registry(driver: InMemoryDriver())
        let repository = RepositoryName("team/arm")!
        let config = Array(#"{"architecture":"arm64","variant":"v8","os":"linux","config":{}}"#.utf8)
        let configDigest = Digest.of(config)
        _ = try await registry.uploadMonolithic(repository, digest: configDigest, body: Chunks(config))
        let bytes = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(configDigest)","size":\#(config.count)},"layers":[]}"#.utf8)
        let (stored, _) = try await registry.putManifest(repository, reference: .tag(Tag("v1")!), bytes: bytes, contentType: MediaType.ociManifest)
        let facts = await ManifestFacts.read(stored, in: repository, from: registry)
        #expect(facts.platforms == ["linux/arm64/v8"])
    }
}
