/// What an S3 upload session has acknowledged, kept as `multipart.json` under the session's
/// directory, so any instance can continue the session.
///
/// Full parts live in an unfinished multipart upload; the bytes after the last full part
/// (a chunk smaller than a part, which S3 refuses as anything but the last part) live in a
/// small tail object, named afresh each time so this state never points at a tail that is
/// being rewritten.
struct S3UploadState: Codable, Sendable, Equatable {
    struct Part: Codable, Sendable, Equatable {
        var number: Int
        var etag: String
        var size: Int64
    }

    /// The key the multipart upload completes at.
    var key: String
    var uploadID: String?
    var parts: [Part] = []
    /// Name of the tail object inside the session directory.
    var tail: String?
    var tailSize: Int64 = 0
    /// New at every save (``S3Upload/revision``); absent from states older than it.
    var revision: String?

    var partsSize: Int64 { parts.reduce(0) { $0 + $1.size } }
    var size: Int64 { partsSize + tailSize }
}
