#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files that hold secrets (private keys, password hashes) so that nobody but their
/// owner can read them at any moment, and a crash leaves the old file or the new one.
///
/// `FileManager.createFile(atPath:contents:attributes:)` creates the file with the umask's
/// mode (0644, or 0666 under umask 0), writes it, and only then applies the attributes'
/// 0600: for that moment any user on the machine could open the key, and a descriptor
/// opened then keeps reading it after the chmod. Here the file is born 0600 with
/// `O_EXCL` under a name of its own, written, made 0600 again on the descriptor (a umask
/// that took the owner's bits away would leave a key its owner cannot read back), fsynced,
/// renamed over the target, and the directory fsynced so the new name survives a power cut.
public enum PrivateFile {
    /// Why a secret could not be written, naming the file and the system's reason.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The mode every file written here has, from its creation on.
    static let mode: mode_t = 0o600

    /// Replaces the file at `path` with `bytes`, readable and writable by its owner alone.
    /// The directory must exist. A symbolic link at `path` is replaced, not followed.
    public static func save(_ bytes: [UInt8], to path: String) throws(Failure) {
        try save(bytes, to: path, beforeRename: { _ in })
    }

    /// ``save(_:to:)``, calling `beforeRename` with the temporary file's path once it holds
    /// every byte, so tests can look at what exists before the rename.
    static func save(_ bytes: [UInt8], to path: String, beforeRename: (String) -> Void) throws(Failure) {
        let directory = Self.directory(of: path)
        let name = path.split(separator: "/").last.map(String.init) ?? "file"
        // Hidden and random: never a name another writer (or a reader of the directory,
        // such as autocert's cache) takes for its own, and O_EXCL refuses one that exists.
        let temporary = directory + "/." + name + ".tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw failure("cannot create \(temporary)", errno) }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        let problem = fill(fd, with: bytes, path: temporary)
        close(fd)
        if let problem { throw problem }
        beforeRename(temporary)
        guard rename(temporary, path) == 0 else { throw failure("cannot replace \(path)", errno) }
        renamed = true
        // The file is in place; a filesystem that cannot fsync a directory (some network
        // and FUSE mounts refuse) still has it, so this is done where it can be, not required.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Writes every byte to `fd`, sets the mode on it and fsyncs it; what failed, or nil.
    private static func fill(_ fd: Int32, with bytes: [UInt8], path: String) -> Failure? {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return failure("cannot write \(path)", errno) }
            offset += count
        }
        guard fchmod(fd, mode) == 0 else { return failure("cannot set the mode of \(path)", errno) }
        guard fsync(fd) == 0 else { return failure("cannot write \(path)", errno) }
        return nil
    }

    /// The directory part of `path`: `.` for a bare name, `/` for a file at the root.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = path[..<slash]
        return directory.isEmpty ? "/" : String(directory)
    }

    private static func failure(_ what: String, _ code: Int32) -> Failure {
        Failure(description: "\(what): \(String(cString: strerror(code)))")
    }
}
