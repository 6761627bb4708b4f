/// A failure a client can cause, carrying the spec's error code, the HTTP status it maps
/// to and a human-readable reason.
///
/// Every layer throws these for client-visible conditions so the HTTP layer can answer
/// with `{"errors":[{"code","message","detail"}]}` without guessing.
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The error codes of the distribution spec, plus `UNAVAILABLE` for a failing backend
    /// and the index API's `REQUEST_INVALID` and `NOT_FOUND`.
    public enum Code: String, Sendable {
        case blobUnknown = "BLOB_UNKNOWN"
        case blobUploadInvalid = "BLOB_UPLOAD_INVALID"
        case blobUploadUnknown = "BLOB_UPLOAD_UNKNOWN"
        case digestInvalid = "DIGEST_INVALID"
        case manifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
        case manifestInvalid = "MANIFEST_INVALID"
        case manifestUnknown = "MANIFEST_UNKNOWN"
        case nameInvalid = "NAME_INVALID"
        case nameUnknown = "NAME_UNKNOWN"
        case sizeInvalid = "SIZE_INVALID"
        case tagInvalid = "TAG_INVALID"
        case unauthorized = "UNAUTHORIZED"
        case denied = "DENIED"
        case unsupported = "UNSUPPORTED"
        case tooManyRequests = "TOOMANYREQUESTS"
        case rangeInvalid = "RANGE_INVALID"
        case paginationNumberInvalid = "PAGINATION_NUMBER_INVALID"
        case unavailable = "UNAVAILABLE"
        case unknown = "UNKNOWN"
        /// A body or parameter of an index API request the endpoint cannot take.
        case requestInvalid = "REQUEST_INVALID"
        /// An index API resource other than a repository (a comment, a user) that is not there.
        case notFound = "NOT_FOUND"

        /// The status the spec (or distribution, where the spec is silent) pairs with the code.
        public var defaultStatus: Int {
            switch self {
            case .blobUnknown, .blobUploadUnknown, .manifestUnknown, .nameUnknown, .notFound: 404
            case .unauthorized: 401
            case .denied: 403
            case .unsupported: 405
            case .tooManyRequests: 429
            case .rangeInvalid: 416
            case .unavailable: 503
            case .unknown: 500
            default: 400
            }
        }
    }

    public var code: Code
    public var message: String
    public var detail: String?
    public var status: Int

    public init(_ code: Code, _ message: String, detail: String? = nil, status: Int? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
        self.status = status ?? code.defaultStatus
    }

    public var description: String {
        "\(code.rawValue) (\(status)): \(message)" + (detail.map { " [\($0)]" } ?? "")
    }
}

extension RegistryError {
    /// A delete refused because `storage.delete.enabled` is off: only deletes are, so its
    /// 405 names every other method of the endpoint in `Allow`, pushes included.
    public static let deletesDisabled = RegistryError(.unsupported, "deletes are disabled on this registry (storage.delete.enabled)")

    public static func nameInvalid(_ name: some StringProtocol) -> RegistryError {
        RegistryError(.nameInvalid, "invalid repository name", detail: String(name.prefix(300)))
    }
    public static func nameUnknown(_ name: RepositoryName) -> RegistryError {
        RegistryError(.nameUnknown, "repository name not known to registry", detail: name.value)
    }
    public static func blobUnknown(_ digest: Digest) -> RegistryError {
        RegistryError(.blobUnknown, "blob unknown to registry", detail: digest.description)
    }
    public static func manifestUnknown(_ reference: some CustomStringConvertible) -> RegistryError {
        RegistryError(.manifestUnknown, "manifest unknown", detail: reference.description)
    }
    /// 416 for a blob range outside the blob; the size travels in `detail` (`size=N`), from
    /// which the response's `Content-Range: bytes */N` is made.
    public static func rangeNotSatisfiable(size: Int64) -> RegistryError {
        RegistryError(.rangeInvalid, "requested range not satisfiable", detail: "size=\(size)")
    }
    public static func uploadUnknown(_ id: some StringProtocol) -> RegistryError {
        RegistryError(.blobUploadUnknown, "blob upload unknown to registry", detail: String(id.prefix(100)))
    }
    public static func digestInvalid(_ message: String, detail: String? = nil) -> RegistryError {
        RegistryError(.digestInvalid, message, detail: detail)
    }
    public static func manifestInvalid(_ detail: String, status: Int? = nil) -> RegistryError {
        RegistryError(.manifestInvalid, "manifest invalid", detail: detail, status: status)
    }
}
