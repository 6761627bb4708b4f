#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSystemShims
import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix

/// Stores content in a local directory, in exactly the layout distribution's filesystem
/// driver uses, so either server can take over the other's directory.
///
/// Blocking system calls run on a dedicated thread pool, never on the event loops or the
/// cooperative pool. Writes go to a temporary file in the target directory, are fsynced
/// and renamed over the target, so a crash leaves the old or the new content. Directories
/// are not fsynced after a rename: journaling filesystems commit the rename with the next
/// journal commit, so a power loss can at worst roll the newest names back to their previous
/// content, and the data a name points at is always on disk before the name is.
public struct FileSystemDriver: StorageDriver {
    /// The directory every path is relative to.
    public let root: String
    public var name: String { "filesystem" }

    /// Size of the chunks a read streams; large enough to amortise the thread hop.
    public static let readChunkSize = 1 << 20

    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        return pool
    }()

    public init(root: String) {
        var root = root
        while root.count > 1, root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    func fullPath(_ path: String) throws -> String {
        try StoragePath.check(path)
        return root + path
    }

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Runs `body` even when the calling task is cancelled: what undoes or removes a
    /// request's bytes (a chunk cut back, a session deleted) runs when the request's
    /// client is gone, which is exactly when its task is cancelled. `run` would skip it
    /// and leave a half-written chunk in the session, or the session on disk for a week.
    static func runToEnd<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(eventLoop: NIOSingletons.posixEventLoopGroup.any(), body).get()
    }

    public func contents(of path: String, limit: Int) async throws -> [UInt8]? {
        let full = try fullPath(path)
        return try await Self.run {
            let fd = open(full, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT || errno == ENOTDIR || errno == EISDIR { return nil }
                throw StorageError.io(path, operation: "open", errno: errno)
            }
            defer { close(fd) }
            var result = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EISDIR { return nil }
                    throw StorageError.io(path, operation: "read", errno: errno)
                }
                if n == 0 { break }
                result.append(contentsOf: buffer[0..<n])
                if result.count > limit { throw StorageError.tooLarge(path, limit: limit) }
            }
            return result
        }
    }

    public func write(_ bytes: [UInt8], to path: String, durable: Bool) async throws {
        let full = try fullPath(path)
        try await Self.run {
            let dir = Self.parent(of: full)
            try Self.makeDirectories(dir, for: path)
            let temp = dir + "/.tmp-" + Self.randomSuffix()
            var fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd < 0, errno == ENOENT {
                // The directory went between mkdir and open (the collector removes a blob's
                // directory once empty); once the temporary file is in it, it stays.
                try Self.makeDirectories(dir, for: path)
                fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            }
            guard fd >= 0 else { throw StorageError.io(path, operation: "create", errno: errno) }
            do {
                try bytes.withUnsafeBytes { try Self.writeAll(fd, $0, path: path) }
                if durable, fsync(fd) != 0 { throw StorageError.io(path, operation: "fsync", errno: errno) }
                close(fd)
            } catch {
                close(fd)
                unlink(temp)
                throw error
            }
            guard rename(temp, full) == 0 else {
                let e = errno
                unlink(temp)
                throw StorageError.io(path, operation: "rename", errno: e)
            }
        }
    }

    public func stat(_ path: String) async throws -> StorageEntryInfo? {
        let full = try fullPath(path)
        return try await Self.run { try Self.statSync(full, path: path) }
    }

    static func statSync(_ full: String, path: String) throws -> StorageEntryInfo? {
        var st = Glibc.stat()
        guard systemStat(full, &st) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw StorageError.io(path, operation: "stat", errno: errno)
        }
        let modified = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
        return StorageEntryInfo(
            size: Int64(st.st_size),
            isDirectory: (st.st_mode & S_IFMT) == S_IFDIR,
            modified: modified
        )
    }

    public func list(_ path: String) async throws -> [String]? {
        let full = try fullPath(path)
        return try await Self.run { try Self.listSync(full, path: path) }
    }

    /// Names in a directory; temporary files of unfinished writes are hidden unless asked for.
    static func listSync(_ full: String, path: String, includeTemporary: Bool = false) throws -> [String]? {
        guard let dir = opendir(full) else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw StorageError.io(path, operation: "opendir", errno: errno)
        }
        defer { closedir(dir) }
        var names = [String]()
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." || (!includeTemporary && name.hasPrefix(".tmp-")) { continue }
            names.append(name)
        }
        return names
    }

    public func delete(_ path: String) async throws {
        let full = try fullPath(path)
        try await Self.runToEnd { try Self.deleteSync(full, path: path) }
    }

    static func deleteSync(_ full: String, path: String) throws {
        var st = Glibc.stat()
        guard lstat(full, &st) == 0 else {
            if errno == ENOENT { return }
            throw StorageError.io(path, operation: "lstat", errno: errno)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try listSync(full, path: path, includeTemporary: true) ?? [] {
                try deleteSync(full + "/" + name, path: path + "/" + name)
            }
            guard rmdir(full) == 0 || errno == ENOENT else {
                throw StorageError.io(path, operation: "rmdir", errno: errno)
            }
        } else {
            guard unlink(full) == 0 || errno == ENOENT else {
                throw StorageError.io(path, operation: "unlink", errno: errno)
            }
        }
    }

    public func listFiles(under path: String, skipping: Set<String>) async throws -> [StoredFile] {
        let full = try fullPath(path)
        return try await Self.run { try Self.walkSync(full, path: path, skipping: skipping) }
    }

    /// Every file below `full` in one pass of `readdir` and `fstatat`; unfinished writes'
    /// temporary files are left out. Symbolic links are followed, as every other operation
    /// of this driver follows them (a linked directory is walked once); an entry that cannot
    /// be read fails the walk rather than going unseen.
    static func walkSync(_ full: String, path: String, skipping: Set<String>) throws -> [StoredFile] {
        var files = [StoredFile]()
        var linkedDirectories = Set<[UInt64]>()
        var pending = [(full, "")]
        while let (directory, relative) = pending.popLast() {
            guard let dir = opendir(directory) else {
                if errno == ENOENT || errno == ENOTDIR { continue }
                throw StorageError.io(path + "/" + relative, operation: "opendir", errno: errno)
            }
            defer { closedir(dir) }
            let fd = dirfd(dir)
            while let entry = readdir(dir) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name == "." || name == ".." || name.hasPrefix(".tmp-") { continue }
                let childRelative = relative.isEmpty ? name : relative + "/" + name
                // A real directory needs no stat (and cannot loop).
                if entry.pointee.d_type == UInt8(DT_DIR) {
                    if !skipping.contains(name) { pending.append((directory + "/" + name, childRelative)) }
                    continue
                }
                var st = Glibc.stat()
                guard fstatat(fd, name, &st, 0) == 0 else {
                    if errno == ENOENT { continue }  // gone meanwhile, or a link to nothing
                    throw StorageError.io(path + "/" + childRelative, operation: "stat", errno: errno)
                }
                if (st.st_mode & S_IFMT) == S_IFDIR {
                    guard !skipping.contains(name), linkedDirectories.insert([UInt64(st.st_dev), UInt64(st.st_ino)]).inserted else { continue }
                    pending.append((directory + "/" + name, childRelative))
                } else if (st.st_mode & S_IFMT) == S_IFREG {
                    let modified = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
                    files.append(StoredFile(path: childRelative, size: Int64(st.st_size), modified: modified))
                }
            }
        }
        return files
    }

    public func removeIfEmpty(_ path: String) async throws {
        let full = try fullPath(path)
        try await Self.run {
            guard rmdir(full) == 0 || [ENOENT, ENOTEMPTY, EEXIST].contains(errno) else {
                throw StorageError.io(path, operation: "rmdir", errno: errno)
            }
        }
    }

    public func refreshModificationTime(_ path: String) async throws {
        let full = try fullPath(path)
        try await Self.run {
            // No times: both become now.
            guard utimensat(AT_FDCWD, full, nil, 0) == 0 else {
                if errno == ENOENT { throw StorageError.notFound(path) }
                throw StorageError.io(path, operation: "utimensat", errno: errno)
            }
        }
    }

    public func move(from source: String, to destination: String) async throws {
        let src = try fullPath(source)
        let dst = try fullPath(destination)
        try await Self.run {
            let dir = Self.parent(of: dst)
            try Self.makeDirectories(dir, for: destination)
            var moved = rename(src, dst) == 0
            if !moved, errno == ENOENT, access(src, F_OK) == 0 {
                // The destination's directory went after mkdir (see `write`): once more.
                try Self.makeDirectories(dir, for: destination)
                moved = rename(src, dst) == 0
            }
            guard moved else {
                if errno == ENOENT { throw StorageError.notFound(source) }
                throw StorageError.io(destination, operation: "rename", errno: errno)
            }
        }
    }

    public func read(
        _ path: String,
        range: Range<Int64>?,
        into body: (ByteBuffer) async throws -> Void
    ) async throws {
        let full = try fullPath(path)
        let fd = try await Self.run {
            let fd = open(full, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT { throw StorageError.notFound(path) }
                throw StorageError.io(path, operation: "open", errno: errno)
            }
            return fd
        }
        // Read ahead: the next chunk is read on the I/O pool while this one is sent.
        let end = range?.upperBound ?? Int64.max
        var offset = range?.lowerBound ?? 0
        let spare = NIOLockedValueBox<ByteBuffer?>(nil)
        var next: Task<ByteBuffer, any Error>? = Self.readChunk(fd, at: offset, upTo: end, path: path, reusing: spare)
        do {
            while let current = next {
                let chunk = try await current.value
                next = nil
                if chunk.readableBytes == 0 { break }
                offset += Int64(chunk.readableBytes)
                if offset < end { next = Self.readChunk(fd, at: offset, upTo: end, path: path, reusing: spare) }
                try await body(chunk)
                spare.withLockedValue { $0 = chunk }
            }
        } catch {
            _ = try? await next?.value
            close(fd)
            throw error
        }
        _ = try? await next?.value
        close(fd)
    }

    /// Reads the chunk at `offset` into the buffer `spare` holds, if any: the chunk before
    /// last, which its consumer has finished with. Two buffers then serve a whole file,
    /// where a fresh megabyte per chunk cost a fifth of a TLS pull's CPU in page faults
    /// (`docs/performance.md`). A buffer its consumer still holds is copied on write, so
    /// reuse never changes bytes anyone else can see.
    private static func readChunk(
        _ fd: Int32, at offset: Int64, upTo end: Int64, path: String, reusing spare: NIOLockedValueBox<ByteBuffer?>
    ) -> Task<ByteBuffer, any Error> {
        let want = Int(min(Int64(readChunkSize), end - offset))
        return Task {
            try await run {
                // Taken out of the box, so this is its only reference when the consumer let go.
                var buffer = spare.withLockedValue { held in
                    defer { held = nil }
                    return held
                } ?? ByteBufferAllocator().buffer(capacity: want)
                buffer.clear()
                try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { pointer -> Int in
                    var done = 0
                    while done < want {
                        let n = pread(fd, pointer.baseAddress.map { $0 + done }, want - done, off_t(offset) + off_t(done))
                        if n < 0, errno == EINTR { continue }
                        if n < 0 { throw StorageError.io(path, operation: "read", errno: errno) }
                        if n == 0 { break }
                        done += n
                    }
                    return done
                }
                return buffer
            }
        }
    }

    public func localFile(_ path: String) -> String? {
        try? fullPath(path)
    }

    public func openUpload(_ session: UploadLocation, destination: String?) async throws -> any StorageUpload {
        let data = session.data
        let full = try fullPath(data)
        let (fd, size) = try await Self.run { () throws -> (Int32, Int64) in
            try Self.makeDirectories(Self.parent(of: full), for: data)
            let fd = open(full, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw StorageError.io(data, operation: "open", errno: errno) }
            var st = Glibc.stat()
            guard fstat(fd, &st) == 0 else {
                let e = errno
                close(fd)
                throw StorageError.io(data, operation: "fstat", errno: e)
            }
            return (fd, Int64(st.st_size))
        }
        return FileUpload(driver: self, path: data, appender: FileAppender(fd: fd, path: data, size: size))
    }

    public func uploadSize(_ session: UploadLocation) async throws -> Int64 {
        try await stat(session.data)?.size ?? 0
    }

    /// Cuts a file back to `size` bytes (an upload session after a failed chunk).
    func truncate(_ path: String, to size: Int64) async throws {
        let full = try fullPath(path)
        try await Self.runToEnd {
            guard Glibc.truncate(full, off_t(size)) == 0 else {
                if errno == ENOENT, size == 0 { return }
                throw StorageError.io(path, operation: "truncate", errno: errno)
            }
        }
    }

    // MARK: helpers

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func makeDirectories(_ dir: String, for path: String) throws {
        if mkdir(dir, 0o755) == 0 || errno == EEXIST { return }
        guard errno == ENOENT else { throw StorageError.io(path, operation: "mkdir", errno: errno) }
        try makeDirectories(parent(of: dir), for: path)
        guard mkdir(dir, 0o755) == 0 || errno == EEXIST else {
            throw StorageError.io(path, operation: "mkdir", errno: errno)
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw StorageError.io(path, operation: "write", errno: errno)
            }
            done += n
        }
    }

    static func randomSuffix() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }
}

private func systemStat(_ path: String, _ st: inout stat) -> Int32 {
    stat(path, &st)
}
