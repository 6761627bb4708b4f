public import NIOCore
public import Foundation

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

    /// Size and time of a file, or nil when there is no file at `path` (a directory is
    /// not one). Cheaper than ``stat(_:)`` where directories are only key prefixes: a miss
    /// costs one request instead of two.
    func fileInfo(_ path: String) async throws -> StorageEntryInfo?

    /// Names of the direct children of a directory, unsorted; nil when it does not exist.
    func list(_ path: String) async throws -> [String]?

    /// Names of the direct children of a directory that sort after `name` (byte order),
    /// sorted: a journal read from where the reader left off, without listing it whole
    /// (an object store starts the listing there).
    func list(_ path: String, after name: String) async throws -> [String]

    /// Every file below `path`, at any depth, with its size and time; empty when there is
    /// nothing. One pass instead of a request per directory: a filesystem walks the tree in
    /// one blocking call, an object store lists the prefix flat (a thousand keys a request).
    /// What the garbage collector reads a whole store with.
    /// - Parameter skipping: names of directories not to descend into, at any depth (the
    ///   collector has no use for repositories' `_layers`).
    func listFiles(under path: String, skipping: Set<String>) async throws -> [StoredFile]

    /// Whether other processes may write this store at the same time as this one (an
    /// object store that several instances share). On such a store nothing that can
    /// change may be trusted from memory: every instance must see another's write at once.
    var isShared: Bool { get }

    /// Removes a file or a whole tree; succeeds when nothing is there.
    func delete(_ path: String) async throws

    /// Removes a directory only when it holds nothing, so a file written into it
    /// concurrently is never lost (the garbage collector tidies a blob's directory while a
    /// push may be storing the same blob again). Stores without directories do nothing.
    func removeIfEmpty(_ path: String) async throws

    /// Moves a file into place atomically, replacing what was there.
    func move(from source: String, to destination: String) async throws

    /// Makes a file's modification time now, without changing it: a blob a push reuses
    /// (a mount, an upload of bytes already stored) is young again for the garbage
    /// collector's grace period, as if it had just been written. Stores where that costs
    /// a copy (S3) do nothing, and the collector's journal protects the reuse alone.
    func refreshModificationTime(_ path: String) async throws

    /// Streams a file (or a byte range of it) in chunks to `body`, so no blob is ever held
    /// whole in memory.
    func read(
        _ path: String,
        range: Range<Int64>?,
        into body: (ByteBuffer) async throws -> Void
    ) async throws

    /// The local filesystem path of `path` when this driver keeps files on this machine
    /// (so the HTTP layer may read it in place); nil for every other driver.
    func localFile(_ path: String) -> String?

    /// A URL a client may fetch `path` from directly, bypassing this server
    /// (`storage.redirect`: a presigned object-store URL); nil to stream it through.
    func redirectURL(for path: String) async throws -> String?

    /// Opens the upload session at `session`, creating it when new. Sessions are the
    /// driver's business because stores differ in how bytes grow: a local file is appended
    /// to, an object store collects multipart parts.
    /// - Parameter destination: where the bytes will go when the session is new and its
    ///   final path is already known (a monolithic upload names its digest up front), so a
    ///   driver may write there directly and commit without a copy. A hint: a driver whose
    ///   commit is a rename anyway (the filesystem) has nothing to gain and ignores it.
    func openUpload(_ session: UploadLocation, destination: String?) async throws -> any StorageUpload

    /// Bytes a session holds (what a client resumes from), without opening it for writing.
    func uploadSize(_ session: UploadLocation) async throws -> Int64

    /// Removes a session and everything it holds, including bytes the store keeps apart
    /// from ordinary files (an object store's unfinished multipart upload).
    func deleteUpload(_ session: UploadLocation) async throws

    /// Removes what unfinished sessions left in the store outside any session directory
    /// (an object store's multipart uploads) when started before `cutoff`.
    /// - Returns: how many there were.
    func purgeOrphanedUploads(under path: String, startedBefore cutoff: Date, dryRun: Bool) async throws -> Int

    /// Releases what the driver holds open (an object store's connection pool) when the
    /// server stops.
    func shutdown() async
}

extension StorageDriver {
    /// Replaces a file's content atomically and durably.
    public func write(_ bytes: [UInt8], to path: String) async throws {
        try await write(bytes, to: path, durable: true)
    }

    public func redirectURL(for path: String) async throws -> String? { nil }

    public func fileInfo(_ path: String) async throws -> StorageEntryInfo? {
        try await stat(path).flatMap { $0.isDirectory ? nil : $0 }
    }

    public func shutdown() async {}

    public func removeIfEmpty(_ path: String) async throws {}

    public func refreshModificationTime(_ path: String) async throws {}

    /// Every file below `path`.
    public func listFiles(under path: String) async throws -> [StoredFile] {
        try await listFiles(under: path, skipping: [])
    }

    public func listFiles(under path: String, skipping: Set<String>) async throws -> [StoredFile] {
        var files = [StoredFile]()
        var pending = [(path, "")]
        while let (directory, relative) = pending.popLast() {
            for name in try await list(directory) ?? [] {
                let child = directory + "/" + name
                let childRelative = relative.isEmpty ? name : relative + "/" + name
                if let info = try await stat(child) {
                    if info.isDirectory {
                        if !skipping.contains(name) { pending.append((child, childRelative)) }
                    } else {
                        files.append(StoredFile(path: childRelative, size: info.size, modified: info.modified))
                    }
                }
            }
        }
        return files
    }

    public var isShared: Bool { false }

    public func list(_ path: String, after name: String) async throws -> [String] {
        (try await list(path) ?? []).filter { $0 > name }.sorted()
    }

    public func purgeOrphanedUploads(under path: String, startedBefore cutoff: Date, dryRun: Bool) async throws -> Int { 0 }

    public func deleteUpload(_ session: UploadLocation) async throws {
        try await delete(session.directory)
    }
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
