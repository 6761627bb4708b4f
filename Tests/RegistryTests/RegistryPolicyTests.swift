import Foundation
import OCI
import Storage
import TestSupport
import Testing
@testable import Registry

/// Immutable tags and namespace quotas, as the registry enforces them on every door.
@Suite struct RegistryPolicyTests {
    let repo = RepositoryName("releases/app")!

    func push(_ bytes: [UInt8], to registry: Registry, in name: RepositoryName? = nil) async throws -> Digest {
        let digest = Digest.of(bytes)
        try await registry.uploadMonolithic(name ?? repo, digest: digest, body: Chunks(bytes))
        return digest
    }

    func image(_ config: Digest, _ layer: Digest) -> [UInt8] {
        Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(config)","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\#(layer)","size":2}]}"#.utf8)
    }

    @Test(arguments: TestDrivers.local())
    func anImmutableTagCannotBeMovedOrDeletedButNewTagsCanBePushed(_ driver: any StorageDriver) async throws {
        var options = Registry.Options()
        options.immutableTags = [ImmutableTagRule(repositories: [RepositoryGlob("releases/**")], tags: [RepositoryGlob("v*")])]
        let registry = Registry(driver: driver, options: options)
        let config = try await push(Array("{}".utf8), to: registry)
        let first = image(config, try await push([1, 1], to: registry))
        let second = image(config, try await push([2, 2], to: registry))
        let v1 = Reference.tag(Tag("v1")!)
        let (stored, _) = try await registry.putManifest(repo, reference: v1, bytes: first, contentType: nil)
        // The same manifest again (a retried push) is fine.
        _ = try await registry.putManifest(repo, reference: v1, bytes: first, contentType: nil)
        await #expect { try await registry.putManifest(repo, reference: v1, bytes: second, contentType: nil) } throws: { error in
            let error = error as? RegistryError
            return error?.code == .denied && error?.status == 403 && error?.detail?.hasPrefix("TAG_INVALID") == true
        }
        await #expect(throws: RegistryError.self) { try await registry.deleteManifest(repo, v1) }
        await #expect(throws: RegistryError.self) { try await registry.deleteManifest(repo, .digest(stored.digest)) }
        await #expect(throws: RegistryError.self) { try await registry.deleteRepository(repo) }
        // Nor can what it needs go from under it.
        await #expect(throws: RegistryError.self) { try await registry.deleteBlob(repo, Digest.of([1, 1])) }
        #expect(try await registry.getManifest(repo, v1).digest == stored.digest)
        // Tags the rule does not match move freely, and new immutable tags can be pushed.
        _ = try await registry.putManifest(repo, reference: .tag(Tag("latest")!), bytes: first, contentType: nil)
        _ = try await registry.putManifest(repo, reference: .tag(Tag("latest")!), bytes: second, contentType: nil)
        try await registry.deleteManifest(repo, .tag(Tag("latest")!))
        _ = try await registry.putManifest(repo, reference: .tag(Tag("v2")!), bytes: second, contentType: nil)
        // Elsewhere the rule does not apply.
        let other = RepositoryName("scratch/app")!
        #expect(try await registry.mountBlob(other, config, from: repo))
        #expect(try await registry.mountBlob(other, Digest.of([1, 1]), from: repo))
        #expect(try await registry.mountBlob(other, Digest.of([2, 2]), from: repo))
        _ = try await registry.putManifest(other, reference: v1, bytes: first, contentType: nil)
        _ = try await registry.putManifest(other, reference: v1, bytes: second, contentType: nil)
    }

    @Test(arguments: TestDrivers.local())
    func aPushPastTheNamespaceQuotaIsDeniedAndSharedBlobsCountOnce(_ driver: any StorageDriver) async throws {
        var options = Registry.Options()
        options.quotas = [QuotaRule(namespaces: [RepositoryGlob("team")], bytes: 100)]
        let registry = Registry(driver: driver, options: options)
        let app = RepositoryName("team/app")!
        let big = [UInt8](repeating: 7, count: 60)
        let digest = try await push(big, to: registry, in: app)
        // The same blob in another repository of the namespace costs nothing more.
        #expect(try await registry.mountBlob(RepositoryName("team/other")!, digest, from: app))
        _ = try await push(big, to: registry, in: RepositoryName("team/third")!)
        // Another 60 bytes would make 120 of 100.
        await #expect { try await push([UInt8](repeating: 8, count: 60), to: registry, in: app) } throws: { error in
            let error = error as? RegistryError
            return error?.code == .denied && error?.detail?.contains("quota") == true
        }
        #expect(try await registry.quotaUsage().map(\.bytes) == [60])
        // Nothing half-written: the refused blob is not stored.
        #expect(try await driver.fileInfo(Layout().blobData(Digest.of([UInt8](repeating: 8, count: 60)))) == nil)
        // Another namespace has no quota.
        _ = try await push([UInt8](repeating: 9, count: 500), to: registry, in: RepositoryName("free/app")!)
        // Deleting frees the namespace's bytes once the collector removed them.
        try await registry.deleteBlob(app, digest)
        try await registry.deleteBlob(RepositoryName("team/other")!, digest)
        try await registry.deleteBlob(RepositoryName("team/third")!, digest)
        try await Task.sleep(for: .milliseconds(5))
        _ = try await GarbageCollector(registry: registry, options: .init()).collect()
        _ = try await push([UInt8](repeating: 8, count: 60), to: registry, in: app)
    }

    /// Pushes that run at once are each counted as they pass, not checked against a count
    /// none of them is in yet.
    @Test(arguments: TestDrivers.local())
    func concurrentPushesCannotTogetherExceedTheQuota(_ driver: any StorageDriver) async throws {
        var options = Registry.Options()
        options.quotas = [QuotaRule(namespaces: [RepositoryGlob("team")], bytes: 100)]
        let registry = Registry(driver: driver, options: options)
        let accepted = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask {
                    let bytes = [UInt8](repeating: UInt8(i), count: 30)
                    return (try? await self.push(bytes, to: registry, in: RepositoryName("team/app\(i)")!)) != nil
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(accepted == 3)
        #expect(try await registry.quotaUsage().map(\.bytes) == [90])
    }
}
