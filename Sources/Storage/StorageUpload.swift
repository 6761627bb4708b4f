public import NIOCore

/// The bytes of one upload session while a request adds to them.
///
/// An upload is opened per request, holds the session as it was acknowledged so far, takes
/// the request's chunk, and ends in exactly one of ``save()``, ``discard()``,
/// ``commit(to:)`` or ``cancel()``. Used by a single task at a time.
public protocol StorageUpload: AnyObject {
    /// Bytes in the session, including what this request appended so far.
    var size: Int64 { get }

    /// Names the acknowledged bytes the session holds: the one it was opened at, then the
    /// one ``save()`` made. Where several instances may save one session (an object store),
    /// each save makes a new one, so a running hash kept in memory is trusted only for the
    /// revision it was made with, never merely because the size matches. Nil where one
    /// process owns the session's bytes (the local filesystem).
    var revision: String? { get }

    /// Appends bytes; the driver may hold them until the request ends.
    func append(_ buffer: ByteBuffer) async throws

    /// Keeps what this request appended as part of the session (an accepted `PATCH`).
    func save() async throws

    /// Forgets what this request appended: a chunk that did not arrive whole leaves the
    /// session at its last acknowledged size, so the client can resume from there.
    func discard() async

    /// Makes the whole session the content of `path`, atomically and durably: readers of
    /// `path` see nothing or all of it. The session's bytes are consumed.
    func commit(to path: String) async throws

    /// Drops the session's bytes wherever the store keeps them.
    func cancel() async
}

extension StorageUpload {
    public var revision: String? { nil }
}
