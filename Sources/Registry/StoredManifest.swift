public import NIOCore
public import OCI

/// A manifest as served: the exact bytes pushed, their digest and media type.
public struct StoredManifest: Sendable {
    public let digest: Digest
    public let mediaType: String
    public let bytes: [UInt8]
    /// The same bytes ready to send, so a cached manifest is served without a copy.
    public let body: ByteBuffer
    /// Set by a mirror that answered from its cache because the upstream could not be
    /// asked: the copy may be out of date, and the API says so in a `Warning` header.
    public var stale = false

    public init(digest: Digest, mediaType: String, bytes: [UInt8]) {
        self.digest = digest
        self.mediaType = mediaType
        self.bytes = bytes
        self.body = ByteBuffer(bytes: bytes)
    }
}
