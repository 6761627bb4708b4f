import HTTPTypes

extension HTTPField.Name {
    /// Names the registry protocol adds to HTTP's.
    static let dockerDistributionAPIVersion = registryField("Docker-Distribution-Api-Version")
    static let dockerContentDigest = registryField("Docker-Content-Digest")
    static let dockerUploadUUID = registryField("Docker-Upload-UUID")
    static let ociChunkMinLength = registryField("OCI-Chunk-Min-Length")
    static let ociSubject = registryField("OCI-Subject")
    static let ociFiltersApplied = registryField("OCI-Filters-Applied")
    static let link = registryField("Link")
    static let xForwardedProto = registryField("X-Forwarded-Proto")
    static let xForwardedHost = registryField("X-Forwarded-Host")

    private static func registryField(_ name: String) -> HTTPField.Name {
        guard let field = HTTPField.Name(name) else { preconditionFailure("invalid header name \(name)") }
        return field
    }
}
