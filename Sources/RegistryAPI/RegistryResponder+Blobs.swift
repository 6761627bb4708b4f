import Hummingbird
import HTTPTypes
import OCI
import Registry

extension RegistryResponder {
    /// HEAD and GET of a blob, with single `Range` requests answered by 206 (or 416).
    func getBlob(_ request: Request, _ name: RepositoryName, _ digest: Digest, _ context: Context) async throws -> Response {
        // If-Match first, as RFC 9110 §13.2.2 orders the preconditions.
        if request.ifMatchFails(digest) {
            // Still a 404 for a blob that is not here: the precondition speaks of content.
            _ = try await registry.headBlob(name, digest, range: nil)
            throw RegistryError(.unknown, "If-Match names no tag of this content", detail: "its tag is \"\(digest)\"", status: 412)
        }
        if request.ifNoneMatchNames(digest) {
            // The client holds these bytes already: only their presence here is checked.
            _ = try await registry.headBlob(name, digest, range: nil)
            return Self.notModified([
                .dockerContentDigest: digest.description,
                .eTag: "\"\(digest)\"",
                .cacheControl: "max-age=31536000",
            ])
        }
        // Range is defined for GET only (RFC 9110 §14.2): a HEAD answers the whole blob's
        // length, which is what the spec's HEAD promises and what a client sizes it by.
        let requested = request.method == .get && request.ifRangeHolds(digest)
            ? request.headers[.range].flatMap(ByteRange.init) : nil
        let content = request.method == .head
            ? try await registry.headBlob(name, digest, range: requested)
            : try await registry.pullBlob(name, digest, range: requested, origin: origin(request, context))
        if case .redirect(let location) = content.body {
            // `storage.redirect`: the client fetches the bytes from the store itself.
            return Response(
                status: .temporaryRedirect,
                headers: [.location: location, .dockerContentDigest: digest.description, .contentLength: "0"]
            )
        }
        var headers: HTTPFields = [
            .contentType: "application/octet-stream",
            .dockerContentDigest: digest.description,
            .acceptRanges: "bytes",
            .eTag: "\"\(digest)\"",
            .cacheControl: "max-age=31536000",
        ]
        if let range = content.range {
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(content.size)"
        }
        headers[.contentLength] = String(content.length)
        let status: HTTPResponse.Status = content.range == nil ? .ok : .partialContent
        guard let sent = blobSender.responseBody(content.body, on: context.channel, repository: name.value, digest: digest.description) else {
            return Response(status: status, headers: headers)
        }
        return Response(status: status, headers: headers, body: sent)
    }

    func deleteBlob(_ request: Request, _ name: RepositoryName, _ digest: Digest, _ context: Context) async throws -> Response {
        try await registry.deleteBlob(name, digest, origin: origin(request, context))
        return Self.empty(.accepted, headers: [.dockerContentDigest: digest.description])
    }
}
