import Auth
import Hummingbird
import HTTPTypes
import NIOCore
import OCI
import Registry

extension RegistryResponder {
    /// `POST .../blobs/uploads/`: a mount, a monolithic upload (`?digest=`), or a new session.
    func startUpload(_ request: Request, _ name: RepositoryName, _ context: Context, _ principal: Principal?) async throws -> Response {
        let query = request.uri.queryParameters
        if let mount = query["mount"] {
            // A mount that cannot be made starts an ordinary upload, as distribution does: one
            // the caller may not make, of a blob not there, and one whose digest or source
            // does not parse. The spec says a registry unable to mount SHOULD answer 202, and
            // clients (containerd) take any other answer for a failed push. A source that does
            // not parse is not mistaken for no source (a mount from anywhere).
            let from = query["from"]
            let source = from.flatMap { RepositoryName($0) }
            if let digest = Digest(mount), from == nil || source != nil, mayMount(from: source, principal),
               try await registry.mountBlob(name, digest, from: source, origin: origin(request, context)) {
                return Self.empty(.created, headers: [
                    .location: url(request, "/v2/\(name)/blobs/\(digest)"),
                    .dockerContentDigest: digest.description,
                ])
            }
        } else if let digestParameter = query["digest"] {
            let digest = try Self.digest(digestParameter)
            try checkContentType(request)
            _ = try await registry.uploadMonolithic(name, digest: digest, body: ClientBody(base: request.body, code: .blobUploadInvalid, declared: request.headers[.contentLength]), origin: origin(request, context))
            return Self.empty(.created, headers: [
                .location: url(request, "/v2/\(name)/blobs/\(digest)"),
                .dockerContentDigest: digest.description,
            ])
        }
        let id = try await registry.startUpload(name)
        return Self.empty(.accepted, headers: sessionHeaders(request, name, id, size: 0))
    }

    /// `GET` on a session: how many bytes it holds, so a client can resume.
    func uploadStatus(_ request: Request, _ name: RepositoryName, _ id: UploadID) async throws -> Response {
        let size = try await registry.uploadSize(name, id)
        return Self.empty(.noContent, headers: sessionHeaders(request, name, id, size: size))
    }

    /// `PATCH`: a chunk (with `Content-Range`) or a stream (without).
    func patchUpload(_ request: Request, _ name: RepositoryName, _ id: UploadID) async throws -> Response {
        try checkContentType(request)
        let range = try contentRange(request)
        do {
            let size = try await registry.appendUpload(name, id, at: range?.start, body: chunkBody(request, range))
            return Self.empty(.accepted, headers: sessionHeaders(request, name, id, size: size))
        } catch let error as RegistryError where error.code == .rangeInvalid {
            return await outOfOrder(error, request, name, id)
        }
    }

    /// `PUT ?digest=`: the optional last chunk, then verification and commit.
    func completeUpload(_ request: Request, _ name: RepositoryName, _ id: UploadID, _ context: Context) async throws -> Response {
        guard let digestParameter = request.uri.queryParameters["digest"] else {
            throw RegistryError.digestInvalid("digest parameter missing")
        }
        let digest = try Self.digest(digestParameter)
        let range = try contentRange(request)
        do {
            _ = try await registry.completeUpload(name, id, digest: digest, at: range?.start, body: chunkBody(request, range), origin: origin(request, context))
        } catch let error as RegistryError where error.code == .rangeInvalid {
            return await outOfOrder(error, request, name, id)
        }
        return Self.empty(.created, headers: [
            .location: url(request, "/v2/\(name)/blobs/\(digest)"),
            .dockerContentDigest: digest.description,
        ])
    }

    func cancelUpload(_ name: RepositoryName, _ id: UploadID) async throws -> Response {
        try await registry.cancelUpload(name, id)
        return Self.empty(.noContent, headers: [.dockerUploadUUID: id.value])
    }

    /// 416 for a chunk that does not start where the session ends, with the session's
    /// `Range` and `Location`, as the Docker V2 API describes it: the client learns where to
    /// resume without asking again. A session that is gone by now answers the 416 alone.
    private func outOfOrder(_ error: RegistryError, _ request: Request, _ name: RepositoryName, _ id: UploadID) async -> Response {
        var response = error.response(for: request.method)
        guard let size = try? await registry.uploadSize(name, id) else { return response }
        for field in sessionHeaders(request, name, id, size: size) { response.headers[field.name] = field.value }
        return response
    }

    private func sessionHeaders(_ request: Request, _ name: RepositoryName, _ id: UploadID, size: Int64) -> HTTPFields {
        [
            .location: url(request, "/v2/\(name)/blobs/uploads/\(id)"),
            .range: "0-\(max(size - 1, 0))",
            .dockerUploadUUID: id.value,
            .ociChunkMinLength: "0",
        ]
    }

    /// Upload bodies are raw bytes; a client that labels them otherwise is confused.
    private func checkContentType(_ request: Request) throws(RegistryError) {
        guard let type = request.headers[.contentType] else { return }
        let essence = MediaType.essence(type)
        guard essence.isEmpty || essence == "application/octet-stream" else {
            throw RegistryError(.blobUploadInvalid, "blob upload invalid", detail: "Content-Type must be application/octet-stream, not \(type)")
        }
    }

    /// The span a chunk claims in `Content-Range`, checked against `Content-Length`.
    private func contentRange(_ request: Request) throws(RegistryError) -> ContentRange? {
        guard let header = request.headers[.contentRange] else { return nil }
        let range = try ContentRange(parsing: header)
        if let length = request.headers[.contentLength].flatMap({ Int64($0) }), !range.matches(length: length) {
            throw RegistryError(.sizeInvalid, "Content-Length does not match Content-Range", detail: "\(length) vs \(header.prefix(100))")
        }
        return range
    }

    /// A chunk's body, held to the length its request declares: `Content-Length`, or
    /// without one (a chunked body, or none) the span its `Content-Range` claims, so a body
    /// of another length is refused either way and not appended as if it were that span.
    private func chunkBody(_ request: Request, _ range: ContentRange?) -> ClientBody<RequestBody> {
        let declared = request.headers[.contentLength] ?? range.map { String($0.length ?? Int64.max) }
        return ClientBody(base: request.body, code: .blobUploadInvalid, declared: declared)
    }
}
