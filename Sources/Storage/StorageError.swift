#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a storage operation failed, with the path so logs say where.
public enum StorageError: Error, Sendable, CustomStringConvertible {
    /// The path was refused before touching storage (a `..` component, say).
    case invalidPath(String)
    /// The entry does not exist.
    case notFound(String)
    /// A small-file read found more than its limit.
    case tooLarge(String, limit: Int)
    /// The system call failed.
    case io(String, operation: String, errno: Int32)
    /// The store could not be reached or kept failing after retries; the client should
    /// try again later (503), and nothing half-written became visible.
    case unavailable(String, reason: String)
    /// The store answered something this driver cannot use.
    case store(String, operation: String, reason: String)

    public var description: String {
        switch self {
        case .invalidPath(let p): "invalid storage path \(p)"
        case .notFound(let p): "not found: \(p)"
        case .tooLarge(let p, let limit): "\(p) is larger than \(limit) bytes"
        // The number for searching and the system's words for reading: an operator seeing
        // "errno 40" on a health check had to look up that it is a symlink loop.
        case .io(let p, let op, let e): "\(op) \(p): errno \(e) (\(String(cString: strerror(e))))"
        case .unavailable(let p, let reason): "storage unavailable at \(p): \(reason)"
        case .store(let p, let op, let reason): "\(op) \(p): \(reason)"
        }
    }
}
