public import OCI

/// A manifest as served: the exact bytes pushed, their digest and media type.
public struct StoredManifest: Sendable {
    public let digest: Digest
    public let mediaType: String
    public let bytes: [UInt8]

    public init(digest: Digest, mediaType: String, bytes: [UInt8]) {
        self.digest = digest
        self.mediaType = mediaType
        self.bytes = bytes
    }
}
