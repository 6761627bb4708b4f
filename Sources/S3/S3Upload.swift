import Foundation
import NIOCore
import Storage

/// An upload session in S3: full parts go to a multipart upload as they fill (one in
/// flight while the next is received), and what is left at the end of a request becomes
/// a small tail object. A session that fits in one part is written with a single PUT.
final class S3Upload: StorageUpload {
    private let driver: S3Driver
    private let directory: String
    /// The key the session's bytes collect at when they have no final key yet.
    private let dataKey: String
    /// The state as acknowledged when this request began; a discarded chunk returns to it.
    private let saved: S3UploadState
    private var state: S3UploadState
    /// Bytes not yet in a part: the stored tail, then what this request appended.
    private var pending: ByteBuffer
    private var inFlight: Task<S3UploadState.Part, any Error>?
    private var inFlightSize: Int64 = 0
    /// Whether this request started the multipart upload (and so must abort it on failure).
    private var startedHere = false
    /// Whether a state naming this request's multipart upload may have reached the store;
    /// then the upload is never aborted here (the purge collects it if it is orphaned).
    private var stateSent = false

    static let stateName = "multipart.json"

    private init(driver: S3Driver, session: UploadLocation, state: S3UploadState, tail: ByteBuffer) throws {
        self.driver = driver
        self.directory = session.directory
        self.dataKey = try driver.key(session.data)
        self.saved = state
        // The tail's bytes now lead `pending`; the working state holds full parts only.
        var state = state
        state.tail = nil
        state.tailSize = 0
        self.state = state
        var pending = ByteBufferAllocator().buffer(capacity: driver.options.chunkSize)
        var tail = tail
        pending.writeBuffer(&tail)
        self.pending = pending
    }

    static func state(driver: S3Driver, directory: String) async throws -> S3UploadState? {
        guard let bytes = try await driver.contents(of: directory + "/" + stateName, limit: 1 << 20) else { return nil }
        do {
            return try JSONDecoder().decode(S3UploadState.self, from: Data(bytes))
        } catch {
            throw StorageError.store(directory, operation: "read upload state", reason: "\(error)")
        }
    }

    static func open(driver: S3Driver, session: UploadLocation, destination: String?) async throws -> S3Upload {
        let directory = session.directory
        if let state = try await state(driver: driver, directory: directory) {
            var tail = ByteBuffer()
            if let name = state.tail {
                guard let bytes = try await driver.contents(of: directory + "/" + name, limit: driver.options.chunkSize),
                      bytes.count == state.tailSize
                else {
                    // Another instance finished or cancelled the session meanwhile.
                    throw StorageError.notFound(directory + "/" + name)
                }
                tail = ByteBuffer(bytes: bytes)
            }
            return try S3Upload(driver: driver, session: session, state: state, tail: tail)
        }
        let key = try driver.key(destination ?? session.data)
        return try S3Upload(driver: driver, session: session, state: S3UploadState(key: key), tail: ByteBuffer())
    }

    /// Which save of the session this request started from, then the one it made: two
    /// instances writing one offset each save a state naming their own bytes, and the last
    /// state written is what the session holds.
    var revision: String? { state.revision }

    /// Parts acknowledged, the one in flight, and what is pending (which holds the tail,
    /// also after a save has stored it).
    var size: Int64 { state.partsSize + inFlightSize + Int64(pending.readableBytes) }

    func append(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        let partSize = driver.options.chunkSize
        while buffer.readableBytes > 0 {
            let room = partSize - pending.readableBytes
            if var slice = buffer.readSlice(length: min(room, buffer.readableBytes)) {
                pending.writeBuffer(&slice)
            }
            if pending.readableBytes >= partSize {
                let part = pending
                pending = ByteBufferAllocator().buffer(capacity: partSize)
                try await submit(part)
            }
        }
    }

    /// Waits for the part in flight, then starts uploading this one without waiting for it.
    private func submit(_ part: ByteBuffer) async throws {
        try await settle()
        if state.uploadID == nil {
            state.uploadID = try await driver.createMultipartUpload(state.key)
            startedHere = true
        }
        guard let uploadID = state.uploadID else { return }
        let number = state.parts.count + 1
        let key = state.key
        let driver = driver
        inFlightSize = Int64(part.readableBytes)
        inFlight = Task {
            let etag = try await driver.uploadPart(key, uploadID: uploadID, number: number, body: part)
            return S3UploadState.Part(number: number, etag: etag, size: Int64(part.readableBytes))
        }
    }

    /// Sends what is pending as the next part and waits for it.
    private func uploadPending() async throws {
        let part = pending
        pending = ByteBuffer()
        try await submit(part)
        try await settle()
    }

    private func settle() async throws {
        guard let task = inFlight else { return }
        inFlight = nil
        inFlightSize = 0
        state.parts.append(try await task.value)
    }

    func save() async throws {
        try await settle()
        if pending.readableBytes >= S3Driver.Options.minimumPartSize { try await uploadPending() }
        if pending.readableBytes > 0 {
            // A fresh name per save: the state written next is the only thing that says
            // which tail is current.
            let name = "tail-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            try await driver.put(pending, key: driver.key(directory + "/" + name))
            state.tail = name
            state.tailSize = Int64(pending.readableBytes)
        } else {
            state.tail = nil
            state.tailSize = 0
        }
        state.revision = String(UInt64.random(in: 0...UInt64.max), radix: 36) + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let encoded = try JSONEncoder().encode(state)
        stateSent = true
        try await driver.write(Array(encoded), to: directory + "/" + Self.stateName, durable: true)
        if let old = saved.tail, old != state.tail {
            try? await driver.delete(directory + "/" + old)
        }
    }

    func discard() async {
        await drain()
        if startedHere, !stateSent, let uploadID = state.uploadID {
            await driver.abortMultipartUpload(state.key, uploadID: uploadID)
        }
        state = saved
    }

    func commit(to path: String) async throws {
        let target = try driver.key(path)
        try await settle()
        if state.uploadID == nil {
            // Everything fits in one part: one PUT, straight to where it belongs.
            try await driver.put(pending, key: target)
        } else {
            if pending.readableBytes > 0 { try await uploadPending() }
            guard let uploadID = state.uploadID else { return }
            // A multipart upload aimed at a blob's final key is only ever completed there,
            // after its digest was verified; anywhere else it would publish unverified bytes.
            guard target == state.key || state.key == dataKey else {
                throw StorageError.store(path, operation: "commit upload", reason: "the session writes to \(state.key)")
            }
            try await driver.completeMultipartUpload(
                state.key, uploadID: uploadID, parts: state.parts.map { ($0.number, $0.etag) }, size: state.partsSize
            )
            if target != state.key {
                try await driver.copy(from: state.key, to: target, size: state.partsSize)
                await driver.deleteObject(state.key)
            }
        }
        state.uploadID = nil
    }

    func cancel() async {
        await drain()
        if let uploadID = state.uploadID {
            await driver.abortMultipartUpload(state.key, uploadID: uploadID)
        }
    }

    private func drain() async {
        if let task = inFlight {
            inFlight = nil
            inFlightSize = 0
            _ = try? await task.value
        }
    }
}
