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

    /// A push may declare any sizes; adding two of Int64's largest trapped the server (and
    /// again at every start, as the index re-read storage).
    @Test func declaredSizesThatOverflowAddUpToTheLargestSizeInsteadOfTrapping() {
        let layer = #"{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:\#(String(repeating: "a", count: 64))","size":9223372036854775807}"#
        let bytes = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\#(String(repeating: "b", count: 64))","size":9223372036854775807},"layers":[\#(layer),\#(layer)]}"#.utf8)
        #expect(ManifestFacts(bytes: bytes, mediaType: MediaType.ociManifest).size == Int64.max)
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

    /// A multi-arch tag's size is what it holds: the index, its children and their configs
    /// and layers, not its manifests alone; a child not stored here adds its manifest only.
    @Test func aMultiArchTagsSizeCountsItsChildrensLayers() async throws {
        let registry = Registry(driver: InMemoryDriver())
        let repository = RepositoryName("team/multi")!
        var children: [String] = []
        var expected: Int64 = 0
        for (architecture, layerSize) in [("amd64", 3_000), ("arm64", 5_000)] {
            let config = Array(#"{"architecture":"\#(architecture)","os":"linux","config":{}}"#.utf8)
            let layer = [UInt8](repeating: 7, count: layerSize)
            for blob in [config, layer] {
                _ = try await registry.uploadMonolithic(repository, digest: Digest.of(blob), body: Chunks(blob))
            }
            let bytes = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(Digest.of(config))","size":\#(config.count)},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#(Digest.of(layer))","size":\#(layerSize)}]}"#.utf8)
            _ = try await registry.putManifest(repository, reference: .digest(Digest.of(bytes)), bytes: bytes, contentType: MediaType.ociManifest)
            children.append(#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(Digest.of(bytes))","size":\#(bytes.count),"platform":{"architecture":"\#(architecture)","os":"linux"}}"#)
            expected += Int64(bytes.count + config.count + layerSize)
        }
        // A platform this registry never received, as a mirror keeps only those pulled.
        let absent = Digest.of(Array("absent".utf8))
        children.append(#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(absent)","size":500,"platform":{"architecture":"s390x","os":"linux"}}"#)
        expected += 500
        let index = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(children.joined(separator: ","))]}"#.utf8)
        expected += Int64(index.count)
        let stored = StoredManifest(digest: Digest.of(index), mediaType: MediaType.ociIndex, bytes: index)
        let facts = await ManifestFacts.read(stored, in: repository, from: registry)
        #expect(facts.size == expected)
        #expect(facts.platforms == ["linux/amd64", "linux/arm64", "linux/s390x"])
    }
}
