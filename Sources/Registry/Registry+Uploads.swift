public import NIOCore
public import OCI
import Foundation
import Storage
import Synchronization

extension Registry {
    /// Opens an upload session. Its state lives in storage (`_uploads/<id>/`) so any
    /// instance, or this one after a restart, can continue it.
    public func startUpload(_ name: RepositoryName) async throws -> UploadID {
        try requireWritable()
        let id = UploadID.random()
        let startedAt = ISO8601DateFormatter().string(from: Date())
        // Not fsynced: a session lost to a power cut only makes its client start again.
        try await driver.write(Array(startedAt.utf8), to: layout.uploadStartedAt(name, id), durable: false)
        hashers.put(key(name, id), DigestHasher())
        return id
    }

    /// Bytes received so far by a session; what a client resumes from.
    public func uploadSize(_ name: RepositoryName, _ id: UploadID) async throws -> Int64 {
        try await requireUpload(name, id)
        return try await driver.stat(layout.uploadData(name, id))?.size ?? 0
    }

    /// Appends a chunk to a session, hashing it on the way.
    /// - Parameter offset: where the client says the chunk starts (`Content-Range`); a chunk
    ///   that does not start at the current end is refused with 416, as the spec requires.
    /// - Returns: the session's size afterwards.
    public func appendUpload<Body: AsyncSequence>(
        _ name: RepositoryName,
        _ id: UploadID,
        at offset: Int64?,
        body: Body
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        try requireWritable()
        return try await uploadLocks.withLock(key(name, id)) {
            try await requireUpload(name, id)
            let (_, size) = try await append(name, id, at: offset, body: body, durable: false)
            return size
        }
    }

    /// Closes a session: appends the last chunk, verifies the digest and moves the bytes
    /// into the blob store. On a mismatch nothing becomes visible and the session is removed.
    /// - Returns: the blob's size.
    @discardableResult
    public func completeUpload<Body: AsyncSequence>(
        _ name: RepositoryName,
        _ id: UploadID,
        digest: Digest,
        at offset: Int64?,
        body: Body?
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        try requireWritable()
        return try await uploadLocks.withLock(key(name, id)) {
            try await requireUpload(name, id)
            let (hasher, size) = try await append(name, id, at: offset, body: body, durable: true)
            let data = layout.uploadData(name, id)
            let computed: Digest
            if digest.algorithm == hasher.algorithm {
                computed = hasher.finalize()
            } else {
                computed = try await rehash(data, algorithm: digest.algorithm).finalize()
            }
            guard computed == digest else {
                try await cancelUploadLocked(name, id)
                throw RegistryError.digestInvalid(
                    "provided digest did not match uploaded content",
                    detail: "expected \(digest), got \(computed)"
                )
            }
            // Forget the session before its bytes move: a crash from here on leaves either
            // an unknown session (the client starts again) or the committed blob, never a
            // session that claims fewer bytes than were acknowledged.
            try await driver.delete(layout.uploadStartedAt(name, id))
            do {
                if try await driver.stat(layout.blobData(digest)) == nil {
                    if try await driver.stat(data) == nil {
                        try await driver.write([], to: layout.blobData(digest))
                    } else {
                        try await driver.move(from: data, to: layout.blobData(digest))
                    }
                }
                try await writeLink(digest, to: layout.layerLink(name, digest))
            } catch {
                // The session is already forgotten; free its bytes rather than leave them
                // for the purge.
                try? await cancelUploadLocked(name, id)
                throw error
            }
            catalogNames.insert(name.value)
            try await cancelUploadLocked(name, id)
            return size
        }
    }

    /// Uploads a whole blob in one request (`POST ?digest=`).
    @discardableResult
    public func uploadMonolithic<Body: AsyncSequence>(
        _ name: RepositoryName,
        digest: Digest,
        body: Body
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        let id = try await startUpload(name)
        do {
            return try await completeUpload(name, id, digest: digest, at: nil, body: body)
        } catch {
            try? await cancelUpload(name, id)
            throw error
        }
    }

    /// Abandons a session and frees its bytes.
    public func cancelUpload(_ name: RepositoryName, _ id: UploadID) async throws {
        try requireWritable()
        try await uploadLocks.withLock(key(name, id)) {
            try await requireUpload(name, id)
            try await cancelUploadLocked(name, id)
        }
    }

    // MARK: internals

    func key(_ name: RepositoryName, _ id: UploadID) -> String { name.value + "@" + id.value }

    private func requireUpload(_ name: RepositoryName, _ id: UploadID) async throws {
        guard try await driver.stat(layout.uploadStartedAt(name, id)) != nil else {
            throw RegistryError.uploadUnknown(id.value)
        }
    }

    private func cancelUploadLocked(_ name: RepositoryName, _ id: UploadID) async throws {
        hashers.remove(key(name, id))
        try await driver.delete(layout.uploadDirectory(name, id))
    }

    /// Appends `body` (if any) at `offset`, keeping the running hash; must hold the session lock.
    private func append<Body: AsyncSequence>(
        _ name: RepositoryName,
        _ id: UploadID,
        at offset: Int64?,
        body: Body?,
        durable: Bool
    ) async throws -> (DigestHasher, Int64) where Body.Element == ByteBuffer {
        let cacheKey = key(name, id)
        let data = layout.uploadData(name, id)
        let appender = try await driver.appender(for: data)
        var hasher: DigestHasher
        if let cached = hashers.take(cacheKey), cached.count == appender.size {
            hasher = cached
        } else {
            hasher = try await rehash(data, algorithm: .sha256)
        }
        if let offset, offset != appender.size {
            await appender.abandon()
            hashers.put(cacheKey, hasher)
            throw RegistryError(
                .rangeInvalid,
                "chunk out of order",
                detail: "chunk starts at \(offset) but the upload holds \(appender.size) bytes"
            )
        }
        let startSize = appender.size
        let startHasher = hasher
        do {
            if let body {
                for try await buffer in body {
                    buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                    try await appender.append(buffer)
                }
            }
            try await appender.finish(durable: durable)
        } catch {
            // A chunk that did not arrive whole is undone: the session stays at the last
            // acknowledged offset with its running hash, so a client resumes from there and
            // a broken request never forces the whole session to be hashed again.
            await appender.abandon()
            if (try? await driver.truncate(data, to: startSize)) != nil {
                hashers.put(cacheKey, startHasher)
            }
            throw error
        }
        hashers.put(cacheKey, hasher)
        return (hasher, appender.size)
    }

    /// Hashes stored bytes again: after a restart, or for a digest algorithm other than the
    /// one hashed while streaming.
    func rehash(_ path: String, algorithm: DigestAlgorithm) async throws -> DigestHasher {
        let box = HasherBox(DigestHasher(algorithm: algorithm))
        do {
            try await driver.read(path, range: nil) { buffer in box.update(buffer) }
        } catch StorageError.notFound {
            // An empty session has no data file yet.
        }
        return box.value
    }
}

/// A hasher shared with a streaming read callback.
private final class HasherBox: Sendable {
    private let state: Mutex<DigestHasher>

    init(_ hasher: DigestHasher) { state = Mutex(hasher) }

    func update(_ buffer: ByteBuffer) {
        state.withLock { hasher in buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
    }

    var value: DigestHasher { state.withLock { $0 } }
}
