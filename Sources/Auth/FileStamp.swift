#if canImport(Glibc)
import Glibc
#endif

/// How a file looked when it was last read: its inode, size and modification time.
///
/// Files Pier reads while it runs (the htpasswd file, TLS certificates) are replaced in
/// place by other tools; comparing stamps notices a change with one `stat`, and a new
/// inode notices a file renamed over the old one even when size and time agree.
public struct FileStamp: Equatable, Sendable {
    public var inode: UInt64 = 0
    public var size: Int64 = -1
    public var modified = timespec()

    /// The stamp of no file, which every existing file differs from.
    public init() {}

    /// `path`'s stamp, following symbolic links (certbot's `live/` files, Kubernetes'
    /// `..data` swaps); nil when there is no such file.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = info.st_mtim
    }

    public static func == (a: FileStamp, b: FileStamp) -> Bool {
        a.inode == b.inode && a.size == b.size && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
    }
}
