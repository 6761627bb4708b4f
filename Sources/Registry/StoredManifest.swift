public import NIOCore
public import OCI

/// A manifest as served: the exact bytes pushed, their digest and media type.
public struct StoredManifest: Sendable {
    public let digest: Digest
    public let mediaType: String
    public let bytes: [UInt8]
    /// The same bytes ready to send, so a cached manifest is served without a copy.
    public let body: ByteBuffer

    public init(digest: Digest, mediaType: String, bytes: [UInt8]) {
        self.digest = digest
        self.mediaType = mediaType
        self.bytes = bytes
        self.body = ByteBuffer(bytes: bytes)
    }
}
