#if canImport(Glibc)
import Glibc
#endif
import Foundation

extension HtpasswdFile {
    /// Why a file could not be read or written, in the words a command prints.
    public struct FileError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Writes the file at `path` the way that leaves every reader whole and every kind of
    /// mount working.
    ///
    /// A symbolic link is followed, and the file it names is written (as Apache writes
    /// through it), so a link into a secrets volume stays a link. The new contents go to a
    /// temporary file that `mkstemp` makes in the same directory, owned by this process
    /// alone until it is complete; its mode and owner are set on the open descriptor, never
    /// through a name someone could swap for a link, and it is renamed over the file, so a
    /// registry reading the file sees the old or the new one, never half. An existing file
    /// keeps its mode and, when this process may give it away (root), its owner: nginx's
    /// workers may read a file shared with Pier as another user. Where a rename cannot
    /// replace the file (a file bind-mounted alone into a container is busy; a writable
    /// file in a directory that is not), the file is rewritten in place, as Apache does.
    /// - Parameters:
    ///   - newFileMode: the mode of a file that did not exist.
    ///   - createDirectories: whether missing parent directories are made.
    public func write(to path: String, newFileMode: mode_t, createDirectories: Bool) throws(FileError) {
        let target = Self.resolvingLinks(path)
        let directory = Self.directory(of: target)
        if createDirectories {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw FileError(description: "cannot create \(directory): \(error.localizedDescription)")
            }
        }
        var existing = stat()
        let exists = lstat(target, &existing) == 0
        if exists, (existing.st_mode & S_IFMT) != S_IFREG {
            throw FileError(description: "\(target) is not a regular file")
        }
        let bytes = Array(text.utf8)
        var template = Array((directory + "/.htpasswd.XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        guard fd >= 0 else {
            let reason = errno
            if exists { return try Self.rewriteInPlace(target, bytes) }
            throw FileError(description: "cannot create a file in \(directory): \(Self.describe(reason))")
        }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var written = false
        defer { if !written { unlink(temporary) } }
        do {
            try Self.writeAll(fd, bytes, path: temporary)
        } catch {
            close(fd)
            throw error
        }
        // Given away only by root; anyone else's file stays theirs (the rename makes it the
        // writer's otherwise, which the mode then still lets the old owner's group read).
        if exists, geteuid() == 0 { _ = fchown(fd, existing.st_uid, existing.st_gid) }
        let mode = exists ? existing.st_mode & 0o7777 : newFileMode
        guard fchmod(fd, mode) == 0, fsync(fd) == 0 else {
            let reason = errno
            close(fd)
            throw FileError(description: "cannot write \(temporary): \(Self.describe(reason))")
        }
        close(fd)
        guard rename(temporary, target) == 0 else {
            let reason = errno
            if exists, [EBUSY, EXDEV, EACCES, EPERM, EROFS].contains(reason) { return try Self.rewriteInPlace(target, bytes) }
            throw FileError(description: "cannot replace \(target): \(Self.describe(reason))")
        }
        written = true
    }

    /// Reads the file at `path`; nil when there is none. A file that is not UTF-8 is
    /// refused rather than read with its odd bytes replaced, which a rewrite would keep.
    public static func read(from path: String) throws(FileError) -> HtpasswdFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(description: "cannot open file \(path) for read access")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FileError(description: "\(path) is not UTF-8 text")
        }
        return HtpasswdFile(parsing: text)
    }

    /// Truncates and writes the file itself: not atomic, but the one way to change a file
    /// whose directory entry cannot be replaced. The final component is not followed.
    private static func rewriteInPlace(_ path: String, _ bytes: [UInt8]) throws(FileError) {
        let fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(description: "cannot modify file \(path): \(describe(errno))") }
        defer { close(fd) }
        try writeAll(fd, bytes, path: path)
        guard fsync(fd) == 0 else { throw FileError(description: "cannot write \(path): \(describe(errno))") }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw FileError(description: "cannot write \(path): \(describe(errno))") }
            offset += count
        }
    }

    /// `path` with every symbolic link resolved; `path` itself when it does not exist yet.
    static func resolvingLinks(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The directory part of `path`: `.` for a bare name, `/` for a file at the root.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = path[..<slash]
        return directory.isEmpty ? "/" : String(directory)
    }

    private static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}
