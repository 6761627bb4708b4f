import Hummingbird
import Notifications
import HTTPTypes
import NIOCore
import OCI
import Registry

extension RegistryResponder {
    func getManifest(_ request: Request, _ name: RepositoryName, _ reference: Reference, _ context: Context) async throws -> Response {
        let manifest = try await registry.getManifest(name, reference)
        if request.method == .get {
            await notify("pull", target(name, manifest.digest, manifest.mediaType, Int64(manifest.bytes.count), reference, request), request, context)
        }
        return Self.body(manifest.body, method: request.method, headers: [
            .contentType: manifest.mediaType,
            .dockerContentDigest: manifest.digest.description,
            .eTag: "\"\(manifest.digest)\"",
        ])
    }

    func putManifest(_ request: Request, _ name: RepositoryName, _ reference: Reference, _ context: Context) async throws -> Response {
        let bytes = try await Self.collect(request, limit: Manifest.maximumSize)
        let (stored, manifest) = try await registry.putManifest(
            name,
            reference: reference,
            bytes: bytes,
            contentType: request.headers[.contentType]
        )
        var headers: HTTPFields = [
            .location: url(request, "/v2/\(name)/manifests/\(stored.digest)"),
            .dockerContentDigest: stored.digest.description,
        ]
        if let subject = manifest.subject { headers[.ociSubject] = subject.digest.description }
        await notify("push", target(name, stored.digest, stored.mediaType, Int64(bytes.count), reference, request), request, context)
        return Self.empty(.created, headers: headers)
    }

    func deleteManifest(_ request: Request, _ name: RepositoryName, _ reference: Reference, _ context: Context) async throws -> Response {
        try await registry.deleteManifest(name, reference)
        var deleted = RegistryEvent.Target(repository: name.value)
        switch reference {
        case .tag(let tag): deleted.tag = tag.value
        case .digest(let digest): deleted.digest = digest.description
        }
        await notify("delete", deleted, request, context)
        return Self.empty(.accepted, headers: [:])
    }
}

extension RegistryResponder {
    /// The `target` of a manifest event.
    func target(
        _ name: RepositoryName, _ digest: Digest, _ mediaType: String, _ size: Int64, _ reference: Reference?, _ request: Request
    ) -> RegistryEvent.Target {
        var tag: String?
        if case .tag(let value) = reference { tag = value.value }
        return RegistryEvent.Target(
            mediaType: mediaType, digest: digest.description, size: size, repository: name.value,
            url: url(request, "/v2/\(name)/manifests/\(digest)"), tag: tag
        )
    }

    /// The `target` of a blob event.
    func blobTarget(_ name: RepositoryName, _ digest: Digest, _ size: Int64?, _ request: Request, from: RepositoryName? = nil) -> RegistryEvent.Target {
        RegistryEvent.Target(
            mediaType: "application/octet-stream", digest: digest.description, size: size, repository: name.value,
            fromRepository: from?.value, url: url(request, "/v2/\(name)/blobs/\(digest)")
        )
    }
}
