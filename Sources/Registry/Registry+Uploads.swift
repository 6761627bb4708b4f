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
        try await driver.write(Array(startedAt.utf8), to: layout.uploadStartedAt(layout.upload(name, id)), durable: false)
        hashers.put(key(name, id), DigestHasher(), revision: nil)
        return id
    }

    /// Bytes received so far by a session; what a client resumes from.
    public func uploadSize(_ name: RepositoryName, _ id: UploadID) async throws -> Int64 {
        try await requireUpload(name, id)
        return try await driver.uploadSize(layout.upload(name, id))
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
            let upload = try await open(name, id, destination: nil)
            let hasher = try await append(upload, name, id, at: offset, body: body)
            do {
                try await upload.save()
            } catch {
                await upload.discard()
                hashers.remove(key(name, id))
                throw error
            }
            // The hash is of the bytes this save made the session's (its revision).
            if let hasher { hashers.put(key(name, id), hasher, revision: upload.revision) }
            return upload.size
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
        body: Body?,
        origin: RequestOrigin = .internal("push")
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        try requireWritable()
        let size = try await uploadLocks.withLock(key(name, id)) {
            try await requireUpload(name, id)
            return try await complete(name, id, digest: digest, at: offset, body: body, destination: destination(for: digest))
        }
        await publish(ContentEvent(.push, name, .blob(digest, size: size), origin: origin))
        return size
    }

    /// Verifies and commits a session with its last chunk; must hold the session lock.
    private func complete<Body: AsyncSequence>(
        _ name: RepositoryName,
        _ id: UploadID,
        digest: Digest,
        at offset: Int64?,
        body: Body?,
        destination: String?
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        let blob = layout.blobData(digest)
        let upload = try await open(name, id, destination: destination)
        let hasher = try await append(upload, name, id, at: offset, body: body)
        let size = upload.size
        // The quota's admission by hand, not `linkWithinQuota`: verification and the commit
        // come between it and the link, and a failure anywhere must remove the session.
        var ticket: NamespaceUsage.Ticket?
        do {
            if let hasher, hasher.algorithm == digest.algorithm {
                // Hashed while streaming: the bytes go straight to the blob store.
                try verify(hasher.finalize(), against: digest)
                ticket = try await requireRoom(name, for: digest, size: size)
                try await driver.delete(layout.uploadStartedAt(layout.upload(name, id)))
                // A stored blob is only relied on once recorded (see `holdsBlob`); one a
                // collector took meanwhile is stored again from this upload.
                if try await !storesBlob(digest) {
                    try await upload.commit(to: blob)
                } else {
                    await upload.cancel()
                }
            } else {
                // Some chunks arrived at another instance (or before a restart), or the
                // client names another algorithm: the stored bytes are hashed once more.
                let data = layout.upload(name, id).data
                try await upload.commit(to: data)
                let computed = try await rehash(data, algorithm: digest.algorithm).finalize()
                try verify(computed, against: digest)
                ticket = try await requireRoom(name, for: digest, size: size)
                try await driver.delete(layout.uploadStartedAt(layout.upload(name, id)))
                if try await !storesBlob(digest) {
                    try await driver.move(from: data, to: blob)
                }
            }
            try await writeLink(digest, to: layout.layerLink(name, digest))
            counted(name, digest, size: size)
        } catch {
            // A session that failed verification, or whose commit failed half-way, is
            // removed whole; its bytes are never visible under the digest.
            released(name, digest, ticket: ticket)
            await upload.cancel()
            try? await cancelUploadLocked(name, id)
            throw error
        }
        // The blob is committed and linked: a failure to tidy the session must not turn
        // that into an error (the purge removes what is left).
        try? await cancelUploadLocked(name, id)
        await noteRepository(name)
        return size
    }

    /// Where a session that is still empty may write straight away: the blob's own path,
    /// when the digest is hashed while streaming (so it is verified before the driver
    /// publishes anything there).
    private func destination(for digest: Digest) -> String? {
        digest.algorithm == DigestHasher().algorithm ? layout.blobData(digest) : nil
    }

    private func verify(_ computed: Digest, against digest: Digest) throws(RegistryError) {
        guard computed == digest else {
            throw RegistryError.digestInvalid(
                "provided digest did not match uploaded content",
                detail: "expected \(digest), got \(computed)"
            )
        }
    }

    /// Uploads a whole blob in one request (`POST ?digest=`).
    @discardableResult
    public func uploadMonolithic<Body: AsyncSequence>(
        _ name: RepositoryName,
        digest: Digest,
        body: Body,
        origin: RequestOrigin = .internal("push")
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        try requireWritable()
        let id = try await startUpload(name)
        let size: Int64
        do {
            size = try await uploadLocks.withLock(key(name, id)) {
                try await complete(name, id, digest: digest, at: nil, body: body, destination: destination(for: digest))
            }
        } catch {
            try? await cancelUpload(name, id)
            throw error
        }
        await publish(ContentEvent(.push, name, .blob(digest, size: size), origin: origin))
        return size
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
        guard try await driver.fileInfo(layout.uploadStartedAt(layout.upload(name, id))) != nil else {
            throw RegistryError.uploadUnknown(id.value)
        }
    }

    private func cancelUploadLocked(_ name: RepositoryName, _ id: UploadID) async throws {
        hashers.remove(key(name, id))
        try await driver.deleteUpload(layout.upload(name, id))
    }

    private func open(_ name: RepositoryName, _ id: UploadID, destination: String?) async throws -> any StorageUpload {
        do {
            return try await driver.openUpload(layout.upload(name, id), destination: destination)
        } catch StorageError.notFound {
            throw RegistryError.uploadUnknown(id.value)
        }
    }

    /// Appends `body` (if any) at `offset`, keeping the running hash when this process has
    /// seen every byte of the session; must hold the session lock (of this process: another
    /// instance may save the same session meanwhile, which the revision tells).
    /// - Returns: the hash of the whole session, or nil when earlier chunks were not hashed
    ///   here (they arrived at another instance, before a restart, or another instance
    ///   saved different bytes over the ones hashed here).
    private func append<Body: AsyncSequence>(
        _ upload: any StorageUpload,
        _ name: RepositoryName,
        _ id: UploadID,
        at offset: Int64?,
        body: Body?
    ) async throws -> DigestHasher? where Body.Element == ByteBuffer {
        let cacheKey = key(name, id)
        // Equal sizes do not make equal bytes: two instances may both write a chunk at one
        // offset, and only the revision the session was opened at says whose bytes it holds.
        var hasher = hashers.take(cacheKey).flatMap { $0.hasher.count == upload.size && $0.revision == upload.revision ? $0.hasher : nil }
        if hasher == nil, upload.size == 0 { hasher = DigestHasher() }
        if let offset, offset != upload.size {
            await upload.discard()
            if let hasher { hashers.put(cacheKey, hasher, revision: upload.revision) }
            throw RegistryError(
                .rangeInvalid,
                "chunk out of order",
                detail: "chunk starts at \(offset) but the upload holds \(upload.size) bytes"
            )
        }
        let startHasher = hasher
        do {
            if let body {
                for try await buffer in body {
                    if hasher != nil {
                        buffer.withUnsafeReadableBytes { hasher?.update(bufferPointer: $0) }
                    }
                    try await upload.append(buffer)
                }
            }
        } catch {
            // A chunk that did not arrive whole is undone: the session stays at the last
            // acknowledged offset with its running hash, so a client resumes from there and
            // a broken request never forces the whole session to be hashed again.
            await upload.discard()
            if let startHasher { hashers.put(cacheKey, startHasher, revision: upload.revision) }
            throw error
        }
        return hasher
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
