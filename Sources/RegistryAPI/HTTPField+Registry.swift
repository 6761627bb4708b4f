public import HTTPTypes

/// Names the registry protocol adds to HTTP's, and the proxy headers it reads.
extension HTTPField.Name {
    public static let dockerDistributionAPIVersion = registryField("Docker-Distribution-Api-Version")
    public static let dockerContentDigest = registryField("Docker-Content-Digest")
    public static let dockerUploadUUID = registryField("Docker-Upload-UUID")
    public static let ociChunkMinLength = registryField("OCI-Chunk-Min-Length")
    public static let ociSubject = registryField("OCI-Subject")
    public static let ociFiltersApplied = registryField("OCI-Filters-Applied")
    public static let link = registryField("Link")
    public static let xForwardedProto = registryField("X-Forwarded-Proto")
    public static let xForwardedHost = registryField("X-Forwarded-Host")

    private static func registryField(_ name: String) -> HTTPField.Name {
        guard let field = HTTPField.Name(name) else { preconditionFailure("invalid header name \(name)") }
        return field
    }
}
