import Foundation
import OCI
import Storage
import TestSupport
import Testing
@testable import Registry

/// `validation.manifests.urls`: which URLs a pushed layer may send clients to, as
/// distribution decides it.
@Suite struct ManifestURLPolicyTests {
    let repo = RepositoryName("win/app")!

    @Test func byDefaultNoURLIsAccepted() throws {
        #expect(ManifestURLPolicy.denyAll.refusal(of: "https://mcr.microsoft.com/v2/layer") != nil)
        #expect(try ManifestURLPolicy(allow: [], deny: []) == .denyAll)
    }

    /// distribution 2.8.2 with `validation.disabled` still refuses an ftp URL.
    @Test func disabledValidationDropsTheListsNotTheScheme() {
        #expect(ManifestURLPolicy.anyHTTPURL.refusal(of: "https://anything.example/x") == nil)
        #expect(ManifestURLPolicy.anyHTTPURL.refusal(of: "ftp://anything.example/x") != nil)
        #expect(ManifestURLPolicy.anyHTTPURL.refusal(of: "https://anything.example/x#fragment") != nil)
    }

    /// distribution's own test lists: allow `^https?://foo`, deny `^https?://foo/nope`.
    @Test func allowAndDenyMatchAnywhereAndDenyWins() throws {
        let policy = try ManifestURLPolicy(allow: ["^https?://foo"], deny: ["^https?://foo/nope"])
        #expect(policy.refusal(of: "https://foo/bar") == nil)
        #expect(policy.refusal(of: "http://foo/bar") == nil)
        #expect(policy.refusal(of: "https://bar/foo")?.contains("allow") == true)
        #expect(policy.refusal(of: "https://foo/nope")?.contains("deny") == true)
        // Unanchored, as Go's MatchString: a deny list alone refuses what matches anywhere.
        let denyOnly = try ManifestURLPolicy(allow: [], deny: ["internal"])
        #expect(denyOnly.refusal(of: "https://registry.internal.example/x") != nil)
        #expect(denyOnly.refusal(of: "https://mcr.microsoft.com/x") == nil)
    }

    @Test(arguments: [
        "ftp://foo/x", "file:///etc/passwd", "https://", "https:///path", "foo/x", "https://foo/x#part", "https://foo/\u{7}",
        "https://foo@evil.example/x", "https://foo:pw@foo/x", "https://foo\u{200D}/x", "https://föo/x",
    ])
    func onlyHTTPURLsWithAHostAndNoFragmentPass(_ url: String) throws {
        #expect(try ManifestURLPolicy(allow: ["."], deny: []).refusal(of: url) != nil)
    }

    /// RE2's meaning, not Swift's defaults: `\b` between ASCII word characters, `\w` and
    /// `\d` ASCII only, matching scalar by scalar.
    @Test func patternsMatchAsGosRegexpDoes() throws {
        let words = try ManifestURLPolicy(allow: ["."], deny: [#"\bevil\b"#])
        #expect(words.refusal(of: "https://evil.example/x") != nil)
        #expect(words.refusal(of: "https://notevil.example/x") == nil)
        let digits = try ManifestURLPolicy(allow: [#"^https://cdn\d\.example/"#], deny: [])
        #expect(digits.refusal(of: "https://cdn1.example/x") == nil)
        // The refusal names no pattern: they may name internal hosts.
        let deny = try ManifestURLPolicy(allow: ["."], deny: ["secret-host"])
        #expect(deny.refusal(of: "https://secret-host/x")?.contains("secret-host") == false)
    }

    @Test func aPatternThatDoesNotCompileIsNamed() {
        #expect(throws: ManifestURLPolicy.InvalidPattern.self) { try ManifestURLPolicy(allow: ["^https://("], deny: []) }
    }

    func push(_ bytes: [UInt8], to registry: Registry) async throws -> Digest {
        let digest = Digest.of(bytes)
        try await registry.uploadMonolithic(repo, digest: digest, body: Chunks(bytes))
        return digest
    }

    func manifest(config: Digest, layers: [(mediaType: String, digest: Digest, urls: [String]?)]) -> [UInt8] {
        let entries = layers.map { layer in
            let urls = layer.urls.map { #","urls":["# + $0.map { #""\#($0)""# }.joined(separator: ",") + "]" } ?? ""
            return #"{"mediaType":"\#(layer.mediaType)","digest":"\#(layer.digest)","size":2\#(urls)}"#
        }
        return Array(#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"\#(config)","size":2},"layers":[\#(entries.joined(separator: ","))]}"#.utf8)
    }

    @Test(arguments: TestDrivers.local())
    func aForeignLayerIsPushedOnlyWithAnAllowedURLAndNeedsNoBlob(_ driver: any StorageDriver) async throws {
        let foreign = Digest.of([9, 9])
        let byDefault = Registry(driver: driver)
        let config = try await push(Array("{}".utf8), to: byDefault)
        let bytes = manifest(config: config, layers: [(MediaType.dockerForeignLayer, foreign, ["https://mcr.microsoft.com/l"])])
        await #expect { try await byDefault.putManifest(repo, reference: .tag(Tag("v1")!), bytes: bytes, contentType: nil) } throws: { error in
            (error as? RegistryError)?.code == .manifestInvalid
        }
        var options = Registry.Options()
        options.manifestURLs = try ManifestURLPolicy(allow: ["^https://mcr\\.microsoft\\.com/"], deny: [])
        let allowing = Registry(driver: driver, options: options)
        _ = try await allowing.putManifest(repo, reference: .tag(Tag("v1")!), bytes: bytes, contentType: nil)
        // A foreign layer with no URL has its bytes nowhere.
        let nowhere = manifest(config: config, layers: [(MediaType.dockerForeignLayer, foreign, nil)])
        await #expect(throws: RegistryError.self) { try await allowing.putManifest(repo, reference: .tag(Tag("v2")!), bytes: nowhere, contentType: nil) }
    }

    /// containerd fetches any descriptor from its URLs first, so every descriptor is held
    /// to the lists, not only the layer types distribution checks.
    @Test(arguments: TestDrivers.local())
    func theURLsOfEveryDescriptorAreChecked(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        let config = try await push(Array("{}".utf8), to: registry)
        let layer = try await push([5, 5], to: registry)
        for type in ["application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.oci.image.layer.v1.TAR+gzip", "application/x-anything"] {
            let bytes = manifest(config: config, layers: [(type, layer, ["http://169.254.169.254/latest"])])
            await #expect(throws: RegistryError.self, "\(type)") {
                try await registry.putManifest(repo, reference: .tag(Tag("v1")!), bytes: bytes, contentType: nil)
            }
        }
        let configWithURL = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"\#(config)","size":2,"urls":["http://169.254.169.254/x"]},"layers":[]}"#.utf8)
        await #expect(throws: RegistryError.self) { try await registry.putManifest(repo, reference: .tag(Tag("v2")!), bytes: configWithURL, contentType: nil) }
    }

    @Test(arguments: TestDrivers.local())
    func anOrdinaryLayerWithURLsMustStillBePushed(_ driver: any StorageDriver) async throws {
        var options = Registry.Options()
        options.manifestURLs = try ManifestURLPolicy(allow: ["."], deny: [])
        let registry = Registry(driver: driver, options: options)
        let config = try await push(Array("{}".utf8), to: registry)
        let missing = Digest.of([7, 7])
        let bytes = manifest(config: config, layers: [("application/vnd.oci.image.layer.v1.tar+gzip", missing, ["https://cdn.example/l"])])
        await #expect { try await registry.putManifest(repo, reference: .tag(Tag("v1")!), bytes: bytes, contentType: nil) } throws: { error in
            (error as? RegistryError)?.code == .manifestBlobUnknown
        }
        _ = try await push([7, 7], to: registry)
        _ = try await registry.putManifest(repo, reference: .tag(Tag("v1")!), bytes: bytes, contentType: nil)
    }
}
