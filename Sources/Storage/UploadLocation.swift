/// Where one upload session lives in storage, as the registry's layout names it.
///
/// Drivers store the keys they are given: the session's bytes collect at ``data``, and a
/// driver that needs state of its own for a session (an object store's multipart upload)
/// keeps it under ``directory``, which removing the session removes whole.
public struct UploadLocation: Sendable, Hashable {
    /// The session's directory; everything the session holds is beneath it.
    public var directory: String
    /// Where the session's bytes collect until they are committed.
    public var data: String

    /// A session as the layout names it.
    public init(directory: String, data: String) {
        self.directory = directory
        self.data = data
    }
}
