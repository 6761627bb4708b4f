import Hummingbird
import HTTPTypes
import NIOCore
import OCI
import Registry

extension RegistryResponder {
    func getManifest(_ request: Request, _ name: RepositoryName, _ reference: Reference, _ context: Context) async throws -> Response {
        var manifest = request.method == .get
            ? try await registry.pullManifest(name, reference, origin: origin(request, context))
            : try await registry.getManifest(name, reference)
        if case .tag = reference, let platform = try Self.defaultPlatformManifest(of: manifest, accepting: request.headers[values: .accept]) {
            manifest = try await registry.getManifest(name, .digest(platform))
        }
        var headers: HTTPFields = [
            .contentType: manifest.mediaType,
            .dockerContentDigest: manifest.digest.description,
            .eTag: "\"\(manifest.digest)\"",
        ]
        if manifest.stale { headers[.warning] = Self.staleWarning }
        // A client holding this manifest already gets 304; a tag is resolved first, so it
        // still learns when the tag moved.
        if request.ifNoneMatchNames(manifest.digest) { return Self.notModified(headers) }
        return Self.body(manifest.body, method: request.method, headers: headers)
    }

    /// What a mirror's cached manifest, served without the upstream, says of itself. The
    /// distribution spec allows only code 299 with agent `-` in a registry's `Warning`
    /// (RFC 9111's 110 "Response is Stale" is not among them); a client that follows the
    /// spec passes on those and drops the rest.
    static let staleWarning = #"299 - "Response is Stale: the upstream registry is unavailable; this is the mirror's cached copy""#

    /// The linux/amd64 manifest a Docker manifest list fetched by tag is answered with when
    /// the client accepts Docker's image manifest but not the list, as distribution does
    /// for clients from before lists (and for scripts that read `.config.digest` with that
    /// one `Accept`); nil to answer with the list. A list without that platform is 404
    /// `MANIFEST_UNKNOWN`, as there. OCI indexes are always answered as they are.
    static func defaultPlatformManifest(of manifest: StoredManifest, accepting accept: [String]) throws -> Digest? {
        guard manifest.mediaType == MediaType.dockerManifestList, !accept.isEmpty else { return nil }
        let types = Set(accept.flatMap { $0.split(separator: ",") }.map { MediaType.essence($0).lowercased() })
        guard types.contains(MediaType.dockerManifest), !types.contains(MediaType.dockerManifestList),
              !types.contains("*/*"), !types.contains("application/*")
        else { return nil }
        let list = try Manifest.parse(manifest.bytes, contentType: manifest.mediaType)
        guard let entry = list.manifests.first(where: { $0.platform?.os == "linux" && $0.platform?.architecture == "amd64" }) else {
            throw RegistryError(.manifestUnknown, "manifest list has no linux/amd64 manifest, and the client does not accept a list", status: 404)
        }
        return entry.digest
    }

    func putManifest(_ request: Request, _ name: RepositoryName, _ reference: Reference, _ context: Context) async throws -> Response {
        let tags = try Self.tagParameters(request)
        let bytes = try await Self.collect(request, limit: Manifest.maximumSize)
        let (stored, manifest) = try await registry.putManifest(
            name,
            reference: reference,
            bytes: bytes,
            contentType: request.headers[.contentType],
            tags: tags,
            origin: origin(request, context)
        )
        var headers: HTTPFields = [
            .location: url(request, "/v2/\(name)/manifests/\(stored.digest)"),
            .dockerContentDigest: stored.digest.description,
        ]
        // One header per tag: clients of the spec's first wording compare whole values.
        for tag in tags { headers.append(HTTPField(name: .ociTag, value: tag.value)) }
        if let subject = manifest.subject { headers[.ociSubject] = subject.digest.description }
        return Self.empty(.created, headers: headers)
    }

    /// The most tags one push may set with `?tag=` (the spec asks for at least 10).
    static let maximumTagParameters = 100

    /// `?tag=a&tag=b` on a manifest PUT: every one must be a valid tag.
    static func tagParameters(_ request: Request) throws(RegistryError) -> [Tag] {
        let values = request.uri.queryParameters.getAll("tag")
        guard values.count <= maximumTagParameters else {
            throw RegistryError(.tagInvalid, "too many tags", detail: "at most \(maximumTagParameters) tag parameters per push", status: 414)
        }
        var tags = [Tag]()
        for value in values {
            guard let tag = Tag(value) else { throw RegistryError(.tagInvalid, "invalid tag", detail: String(value.prefix(200))) }
            if !tags.contains(tag) { tags.append(tag) }
        }
        return tags
    }

    func deleteManifest(_ request: Request, _ name: RepositoryName, _ reference: Reference, _ context: Context) async throws -> Response {
        try await registry.deleteManifest(name, reference, origin: origin(request, context))
        return Self.empty(.accepted, headers: [:])
    }
}
