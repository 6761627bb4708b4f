public import NIOCore
public import OCI
import Storage

extension Registry {
    /// Size of a blob as seen from a repository: it must be linked there (as a layer or a
    /// manifest revision) and present in the blob store.
    public func blobSize(_ name: RepositoryName, _ digest: Digest) async throws -> Int64 {
        guard try await isLinked(name, digest) else { throw RegistryError.blobUnknown(digest) }
        guard let info = try await driver.fileInfo(layout.blobData(digest)) else {
            throw RegistryError.blobUnknown(digest)
        }
        return info.size
    }

    /// Streams a blob, or a byte range of it, to `body`.
    public func readBlob(
        _ digest: Digest,
        range: Range<Int64>?,
        into body: (ByteBuffer) async throws -> Void
    ) async throws {
        try await driver.read(layout.blobData(digest), range: range, into: body)
    }

    /// The local file holding a blob, when the driver keeps files on this machine, so the
    /// HTTP layer can read it in place; nil for other drivers, which stream.
    public func localBlobFile(_ digest: Digest) -> String? {
        driver.localFile(layout.blobData(digest))
    }

    /// Where a client may fetch a blob straight from the store (a presigned URL), or nil
    /// when it must be streamed through this server.
    public func blobRedirectURL(_ digest: Digest) async throws -> String? {
        try await driver.redirectURL(for: layout.blobData(digest))
    }

    /// Removes a blob from a repository (the link); the bytes stay until garbage collection,
    /// as in distribution, because other repositories may share them.
    public func deleteBlob(_ name: RepositoryName, _ digest: Digest) async throws {
        try requireDeletes()
        guard try await driver.fileInfo(layout.layerLink(name, digest)) != nil else {
            throw RegistryError.blobUnknown(digest)
        }
        try await driver.delete(layout.layerLinkDirectory(name, digest))
    }

    /// Links an existing blob into `name` without moving bytes. With `from`, the blob must
    /// be in that repository; without it, anywhere in the registry (when allowed).
    /// - Returns: whether the blob was mounted; false means the client must upload it.
    public func mountBlob(_ name: RepositoryName, _ digest: Digest, from source: RepositoryName?) async throws -> Bool {
        try requireWritable()
        if let source {
            guard try await isLinked(source, digest) else { return false }
        } else if !options.mountWithoutFrom {
            return false
        }
        guard try await driver.fileInfo(layout.blobData(digest)) != nil else { return false }
        try await writeLink(digest, to: layout.layerLink(name, digest))
        catalogNames.insert(name.value)
        return true
    }

    /// Whether the repository links the blob, as a layer or as a manifest.
    func isLinked(_ name: RepositoryName, _ digest: Digest) async throws -> Bool {
        if try await driver.fileInfo(layout.layerLink(name, digest)) != nil { return true }
        return try await driver.fileInfo(layout.revisionLink(name, digest)) != nil
    }

    /// Whether a blob the manifest needs is usable in the repository: linked as a layer and stored.
    func hasLayer(_ name: RepositoryName, _ digest: Digest) async throws -> Bool {
        guard try await driver.fileInfo(layout.layerLink(name, digest)) != nil else { return false }
        return try await driver.fileInfo(layout.blobData(digest)) != nil
    }
}
