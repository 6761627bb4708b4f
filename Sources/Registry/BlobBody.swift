/// What to send for a blob GET, decided by the registry and sent by the HTTP layer's blob
/// sender: the registry knows where bytes live, the sender owns sockets, file descriptors
/// and buffers, and neither reaches into the other's business.
public enum BlobBody: Sendable {
    /// Nothing to send (an empty blob or range).
    case empty
    /// The client fetches the bytes from the store itself (`storage.redirect`).
    case redirect(String)
    /// A region of a file on this machine, which a sender may hand to the kernel or copy
    /// itself; `stream` serves the same bytes where it can do neither (TLS).
    case file(LocalFileRegion, stream: BlobStream)
    /// Bytes the driver streams (an object store).
    case stream(BlobStream)
}

/// Bytes `start..<end` of a local file.
public struct LocalFileRegion: Sendable, Equatable {
    /// The file's absolute path on this machine.
    public var path: String
    /// The first byte to send.
    public var start: Int64
    /// One past the last byte to send.
    public var end: Int64

    public init(path: String, start: Int64, end: Int64) {
        self.path = path
        self.start = start
        self.end = end
    }
}
