import Hummingbird
import HTTPTypes
import NIOCore
import OCI
import Registry

extension RegistryResponder {
    func getManifest(_ request: Request, _ name: RepositoryName, _ reference: Reference) async throws -> Response {
        let manifest = try await registry.getManifest(name, reference)
        return Self.body(manifest.body, method: request.method, headers: [
            .contentType: manifest.mediaType,
            .dockerContentDigest: manifest.digest.description,
            .eTag: "\"\(manifest.digest)\"",
        ])
    }

    func putManifest(_ request: Request, _ name: RepositoryName, _ reference: Reference) async throws -> Response {
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
        return Self.empty(.created, headers: headers)
    }

    func deleteManifest(_ name: RepositoryName, _ reference: Reference) async throws -> Response {
        try await registry.deleteManifest(name, reference)
        return Self.empty(.accepted, headers: [:])
    }
}
