/// The check every driver makes before a path names a file or an object.
public enum StoragePath {
    /// Refuses a path that is not absolute, holds a NUL byte or has a `.` or `..` segment,
    /// so nothing can name a file outside the driver's root.
    ///
    /// Scanned as bytes, as the filesystem reads the path: split as characters, a `/`
    /// followed by a combining mark (or preceded by a prepending mark such as U+0600) is
    /// one character and no separator, and a `..` beside it went unseen. One pass without
    /// allocating, as it runs on every storage operation (where `contains("\0")` went
    /// through Foundation's bridged substring search).
    public static func check(_ path: String) throws(StorageError) {
        let slash = UInt8(ascii: "/")
        let dot = UInt8(ascii: ".")
        guard path.utf8.first == slash else { throw StorageError.invalidPath(path) }
        var length = 0
        var dots = 0
        for byte in path.utf8 {
            switch byte {
            case 0:
                throw StorageError.invalidPath(path)
            case slash:
                if length > 0, length <= 2, dots == length { throw StorageError.invalidPath(path) }
                length = 0
                dots = 0
            default:
                length += 1
                if byte == dot { dots += 1 }
            }
        }
        if length > 0, length <= 2, dots == length { throw StorageError.invalidPath(path) }
    }
}
