import Foundation
import OCI
import Storage
import TestSupport
import Testing
@testable import Registry

/// The markers a mirror writes for what it serves from its cache, which the collector's
/// retention counts as pulls.
@Suite struct UseMarkerTests {
    let tools = RepositoryName("library/tools")!
    let helm = RepositoryName("library/tools/helm")!

    @Test(arguments: TestDrivers.local())
    func aTagAndARepositoryNamedLikeItEachKeepTheirOwnMarker(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        // Either may be marked first, and each again after the other.
        try await registry.noteUse(helm, .tag(Tag("v1")!))
        try await registry.noteUse(tools, .tag(Tag("helm")!))
        try await registry.noteUse(helm, .tag(Tag("v1")!))
        try await registry.noteUse(tools, .tag(Tag("helm")!))
        #expect(try await Set(registry.lastUses(tools).keys) == ["helm"])
        #expect(try await Set(registry.lastUses(helm).keys) == ["v1"])
    }

    @Test(arguments: TestDrivers.local())
    func aTagMarkerAnOlderVersionWroteStillCountsAndMovesOutOfTheWayOfARepositoryNamedLikeIt(_ driver: any StorageDriver) async throws {
        let registry = Registry(driver: driver)
        // Where versions before `_tags` marked tag `helm` of `library/tools`.
        try await driver.write(Array("1".utf8), to: Layout().useMarkers(tools) + "/helm")
        #expect(try await Set(registry.lastUses(tools).keys) == ["helm"])
        try await registry.noteUse(helm, .tag(Tag("v1")!))
        #expect(try await Set(registry.lastUses(helm).keys) == ["v1"])
        #expect(try await Set(registry.lastUses(tools).keys) == ["helm"])
    }

    /// On a filesystem, where the file blocks the directory (an object store lists both).
    @Test func aTagNamedLikeTheTagMarkersDirectoryMarkedByAnOlderVersionMovesIntoIt() async throws {
        let driver = FileSystemDriver(root: TestDrivers.temporaryRoot())
        let registry = Registry(driver: driver)
        // Tag `_tags` of `library/tools`, marked where versions before `_tags` marked tags.
        try await driver.write(Array("1".utf8), to: Layout().useMarkers(tools) + "/_tags")
        try await registry.noteUse(tools, .tag(Tag("v1")!))
        #expect(try await Set(registry.lastUses(tools).keys) == ["_tags", "v1"])
    }
}
