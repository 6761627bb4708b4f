public import NIOCore
public import OCI
public import Registry

/// Writes go to the local registry, except into a mirrored namespace, whose content only
/// its upstream changes: those answer `UNSUPPORTED`, as distribution's proxy does.
extension Mirror {
    public func deleteBlob(_ name: RepositoryName, _ digest: Digest, origin: RequestOrigin) async throws {
        guard !isMirrored(name) else { throw refuse(name) }
        try await local.deleteBlob(name, digest, origin: origin)
    }

    public func mountBlob(_ name: RepositoryName, _ digest: Digest, from source: RepositoryName?, origin: RequestOrigin) async throws -> Bool {
        guard !isMirrored(name) else { throw refuse(name) }
        return try await local.mountBlob(name, digest, from: source, origin: origin)
    }

    public func startUpload(_ name: RepositoryName) async throws -> UploadID {
        guard !isMirrored(name) else { throw refuse(name) }
        return try await local.startUpload(name)
    }

    public func uploadSize(_ name: RepositoryName, _ id: UploadID) async throws -> Int64 {
        try await local.uploadSize(name, id)
    }

    public func appendUpload<Body: AsyncSequence>(
        _ name: RepositoryName, _ id: UploadID, at offset: Int64?, body: Body
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        guard !isMirrored(name) else { throw refuse(name) }
        return try await local.appendUpload(name, id, at: offset, body: body)
    }

    public func completeUpload<Body: AsyncSequence>(
        _ name: RepositoryName, _ id: UploadID, digest: Digest, at offset: Int64?, body: Body?, origin: RequestOrigin
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        guard !isMirrored(name) else { throw refuse(name) }
        return try await local.completeUpload(name, id, digest: digest, at: offset, body: body, origin: origin)
    }

    public func uploadMonolithic<Body: AsyncSequence>(
        _ name: RepositoryName, digest: Digest, body: Body, origin: RequestOrigin
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        guard !isMirrored(name) else { throw refuse(name) }
        return try await local.uploadMonolithic(name, digest: digest, body: body, origin: origin)
    }

    public func cancelUpload(_ name: RepositoryName, _ id: UploadID) async throws {
        try await local.cancelUpload(name, id)
    }

    public func putManifest(
        _ name: RepositoryName, reference: Reference, bytes: [UInt8], contentType: String?, tags: [Tag], origin: RequestOrigin
    ) async throws -> (StoredManifest, Manifest) {
        guard !isMirrored(name) else { throw refuse(name) }
        return try await local.putManifest(name, reference: reference, bytes: bytes, contentType: contentType, tags: tags, origin: origin)
    }

    public func deleteManifest(_ name: RepositoryName, _ reference: Reference, origin: RequestOrigin) async throws {
        guard !isMirrored(name) else { throw refuse(name) }
        try await local.deleteManifest(name, reference, origin: origin)
    }
}
