import Hummingbird
import HTTPTypes
import NIOCore
import OCI
import Registry

extension RegistryResponder {
    func getManifest(_ request: Request, _ name: RepositoryName, _ reference: Reference, _ context: Context) async throws -> Response {
        let manifest = request.method == .get
            ? try await registry.pullManifest(name, reference, origin: origin(request, context))
            : try await registry.getManifest(name, reference)
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
            contentType: request.headers[.contentType],
            origin: origin(request, context)
        )
        var headers: HTTPFields = [
            .location: url(request, "/v2/\(name)/manifests/\(stored.digest)"),
            .dockerContentDigest: stored.digest.description,
        ]
        if let subject = manifest.subject { headers[.ociSubject] = subject.digest.description }
        return Self.empty(.created, headers: headers)
    }

    func deleteManifest(_ request: Request, _ name: RepositoryName, _ reference: Reference, _ context: Context) async throws -> Response {
        try await registry.deleteManifest(name, reference, origin: origin(request, context))
        return Self.empty(.accepted, headers: [:])
    }
}
