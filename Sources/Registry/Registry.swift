public import OCI
public import Storage
import Foundation

/// The registry's semantics over a storage driver: blobs, uploads, manifests, tags,
/// referrers and the catalog. It knows distribution's layout and nothing of HTTP, so the
/// same code serves any transport and any driver.
public final class Registry: Sendable {
    /// Behaviour switches taken from configuration.
    public struct Options: Sendable {
        /// Whether blobs and manifests may be deleted (`storage.delete.enabled`).
        public var deleteEnabled: Bool
        /// Whether `?mount=` without `from` may link a blob that exists anywhere.
        public var mountWithoutFrom: Bool

        public init(deleteEnabled: Bool = true, mountWithoutFrom: Bool = true) {
            self.deleteEnabled = deleteEnabled
            self.mountWithoutFrom = mountWithoutFrom
        }
    }

    public let driver: any StorageDriver
    public let layout = Layout()
    public let options: Options
    let uploadLocks = KeyedLock()
    let hashers = HasherCache()

    /// Link files hold a digest string; anything longer is corrupt.
    static let linkLimit = 1024

    public init(driver: any StorageDriver, options: Options = Options()) {
        self.driver = driver
        self.options = options
    }

    /// Reads a link file and returns the digest it holds, or nil when there is none.
    func readLink(_ path: String) async throws -> Digest? {
        guard let bytes = try await driver.contents(of: path, limit: Self.linkLimit) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Digest(text)
    }

    func writeLink(_ digest: Digest, to path: String) async throws {
        try await driver.write(Array(digest.description.utf8), to: path)
    }

    func requireDeletes() throws(RegistryError) {
        guard options.deleteEnabled else {
            throw RegistryError(.unsupported, "deletes are disabled on this registry (storage.delete.enabled)")
        }
    }
}
