public import HTTPTypes

/// Names the registry protocol adds to HTTP's, and the proxy headers it reads.
extension HTTPField.Name {
    /// Which registry API a response speaks (`registry/2.0`).
    public static let dockerDistributionAPIVersion = registryField("Docker-Distribution-Api-Version")
    /// The digest of the content a response carries or a push stored.
    public static let dockerContentDigest = registryField("Docker-Content-Digest")
    /// The id of an upload session.
    public static let dockerUploadUUID = registryField("Docker-Upload-UUID")
    /// The smallest chunk an upload takes (0: any).
    public static let ociChunkMinLength = registryField("OCI-Chunk-Min-Length")
    /// One tag a manifest push set (`?tag=`), a header per tag.
    public static let ociTag = registryField("OCI-Tag")
    /// The subject a pushed manifest refers to.
    public static let ociSubject = registryField("OCI-Subject")
    /// Which filters a referrers listing applied.
    public static let ociFiltersApplied = registryField("OCI-Filters-Applied")
    /// The next page of a listing (RFC 8288).
    public static let link = registryField("Link")
    /// RFC 9111's `Warning`, which a mirror sets on a stale answer.
    public static let warning = registryField("Warning")
    /// The scheme a proxy was reached by.
    public static let xForwardedProto = registryField("X-Forwarded-Proto")
    /// The host a proxy was reached by.
    public static let xForwardedHost = registryField("X-Forwarded-Host")
    /// The addresses a request came through, client first; believed from trusted proxies only.
    public static let xForwardedFor = registryField("X-Forwarded-For")
    /// RFC 7239's form of the same, read when `X-Forwarded-For` is absent.
    public static let forwarded = registryField("Forwarded")
    /// nginx's client address (`proxy_set_header X-Real-IP`), read when neither is sent.
    public static let xRealIP = registryField("X-Real-Ip")

    /// A name written in the source: one that is not a valid token is a programming error,
    /// found the first time the constant is read, so the modules' constants use this
    /// rather than `HTTPField.Name(_:)`'s optional.
    package static func registryField(_ name: String) -> HTTPField.Name {
        guard let field = HTTPField.Name(name) else { preconditionFailure("invalid header name \(name)") }
        return field
    }
}
