public import NIOCore

/// The operations the registry needs from a place that holds bytes.
///
/// Paths are absolute within the driver (`/docker/registry/v2/...`) and already validated
/// by the caller; drivers still refuse `..` components as a second line of defence.
/// Drivers differ in how they make writes atomic (rename on a filesystem, a single PUT on an
/// object store), which is why nothing above this protocol may assume a local file.
public protocol StorageDriver: Sendable {
    /// A short name for logs and metrics ("filesystem", "inmemory").
    var name: String { get }

    /// The whole content of a small file, or nil when it does not exist.
    /// - Throws: ``StorageError/tooLarge(_:limit:)`` past `limit` bytes.
    func contents(of path: String, limit: Int) async throws -> [UInt8]?

    /// Replaces a file's content atomically: readers see the old or the new content, never a
    /// mix. With `durable`, the content is on stable storage before the new name points at
    /// it; without, a power loss may lose it (for state that is cheap to lose, such as when
    /// an upload session started).
    func write(_ bytes: [UInt8], to path: String, durable: Bool) async throws

    /// Size and kind of the entry at `path`, or nil when it does not exist.
    func stat(_ path: String) async throws -> StorageEntryInfo?

    /// Names of the direct children of a directory, unsorted; nil when it does not exist.
    func list(_ path: String) async throws -> [String]?

    /// Removes a file or a whole tree; succeeds when nothing is there.
    func delete(_ path: String) async throws

    /// Cuts a file back to `size` bytes (an upload session after a failed chunk).
    func truncate(_ path: String, to size: Int64) async throws

    /// Moves a file into place atomically, replacing what was there.
    func move(from source: String, to destination: String) async throws

    /// Streams a file (or a byte range of it) in chunks to `body`, so no blob is ever held
    /// whole in memory.
    func read(
        _ path: String,
        range: Range<Int64>?,
        into body: (ByteBuffer) async throws -> Void
    ) async throws

    /// The local filesystem path of `path` when this driver keeps files on this machine
    /// (so the HTTP layer may `sendfile` it); nil for every other driver.
    func localFile(_ path: String) -> String?

    /// Opens a file for appending, creating it when missing; upload sessions grow their
    /// data file through this across requests.
    func appender(for path: String) async throws -> any StorageAppender
}

extension StorageDriver {
    /// Replaces a file's content atomically and durably.
    public func write(_ bytes: [UInt8], to path: String) async throws {
        try await write(bytes, to: path, durable: true)
    }
}

/// Appends to one file. Used by a single task at a time.
public protocol StorageAppender {
    /// Bytes in the file, including everything appended so far.
    var size: Int64 { get }
    /// Appends bytes (the driver may batch them until ``finish(durable:)``).
    func append(_ buffer: ByteBuffer) async throws
    /// Writes out what is batched and closes; with `durable` the bytes are on disk when it returns.
    func finish(durable: Bool) async throws
    /// Closes without caring about batched bytes (used on errors).
    func abandon() async
}

/// What ``StorageDriver/stat(_:)`` tells about an entry.
public struct StorageEntryInfo: Sendable, Equatable {
    public var size: Int64
    public var isDirectory: Bool
    /// Seconds since 1970 of the last modification, for upload purging.
    public var modified: Double

    public init(size: Int64, isDirectory: Bool, modified: Double) {
        self.size = size
        self.isDirectory = isDirectory
        self.modified = modified
    }
}
