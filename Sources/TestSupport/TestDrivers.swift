import Foundation
public import Storage

/// Fresh drivers over empty stores, for tests that must hold on each of them.
public enum TestDrivers {
    /// The drivers that need no server: the in-memory one and the filesystem under a new
    /// temporary directory.
    public static func local() -> [any StorageDriver] {
        [InMemoryDriver(), FileSystemDriver(root: temporaryRoot())]
    }

    /// A new directory path under the system's temporary directory (not yet created).
    public static func temporaryRoot() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("pier-test-\(UUID().uuidString)").path
    }
}
