import Foundation

/// What the registry needs to know of a manifest: its type, the content it references and
/// its subject. The bytes themselves are stored and served untouched; this is only a view.
public struct Manifest: Sendable {
    /// Whether the manifest lists blobs (an image or artifact) or other manifests (an index).
    public enum Kind: Sendable { case image, index }

    /// The media type the manifest is stored and served with.
    public let mediaType: String
    public let kind: Kind
    public let config: Descriptor?
    public let layers: [Descriptor]
    public let manifests: [Descriptor]
    public let subject: Descriptor?
    public let artifactType: String?
    public let annotations: [String: String]?

    /// The largest manifest accepted, as in distribution and the spec's recommendation.
    public static let maximumSize = 4 * 1024 * 1024

    /// The artifact type a referrers listing shows: `artifactType`, else, for an image, the
    /// config's media type. The spec treats an empty `artifactType` as a missing one, so a
    /// client that writes `""` for "none" is listed by its config's type (an index: none).
    public var effectiveArtifactType: String? {
        if let artifactType, !artifactType.isEmpty { return artifactType }
        guard kind == .image, let type = config?.mediaType, !type.isEmpty else { return nil }
        return type
    }

    /// Blobs that must already be in the repository for the manifest to be accepted: all
    /// but those clients fetch from elsewhere, as distribution decides it: Docker's foreign
    /// layers, and OCI's non-distributable layers that name URLs. A layer of another type
    /// that names URLs must still be pushed (its URLs are a second source, not the only one).
    public var requiredBlobs: [Descriptor] {
        guard kind == .image else { return [] }
        let layers = layers.filter { layer in
            layer.mediaType != MediaType.dockerForeignLayer
                && !(MediaType.ociNonDistributableLayers.contains(layer.mediaType) && !(layer.urls ?? []).isEmpty)
        }
        return (config.map { [$0] } ?? []) + layers
    }

    private struct Raw: Decodable {
        var schemaVersion: Int?
        var mediaType: String?
        var config: Descriptor?
        var layers: [Descriptor]?
        var manifests: [Descriptor]?
        var subject: Descriptor?
        var artifactType: String?
        var annotations: [String: String]?
    }

    /// Parses and validates manifest bytes pushed with `contentType`.
    ///
    /// The stored media type must equal what the client pushed: a `mediaType` field that
    /// contradicts the Content-Type is refused, and without the field only the OCI types
    /// (whose field is optional) are accepted.
    public static func parse(_ bytes: [UInt8], contentType: String?) throws(RegistryError) -> Manifest {
        // A JSON object in UTF-8 and nothing else (RFC 8259 §8.1): Foundation skips a byte
        // order mark and reads UTF-16 and UTF-32 too, Go's decoder (so every client that
        // pulls) refuses them. No UTF-8 JSON holds a zero byte; every UTF-16 or -32 text does.
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        if first != UInt8(ascii: "{") || bytes.contains(0) {
            throw .manifestInvalid("malformed manifest: not a JSON object in UTF-8 (a byte order mark, UTF-16 or UTF-32, or no {)")
        }
        let raw: Raw
        do {
            raw = try JSONDecoder().decode(Raw.self, from: Data(bytes))
        } catch {
            throw .manifestInvalid("malformed manifest: \(Self.describe(error))")
        }
        if let ambiguity = JSONAmbiguity.first(in: bytes) {
            throw .manifestInvalid(ambiguity.reason)
        }
        if raw.schemaVersion == 1 {
            throw .manifestInvalid("schema version 1 manifests are not supported")
        }
        guard raw.schemaVersion == 2 else {
            throw .manifestInvalid("schemaVersion must be 2")
        }
        let declared = contentType.map { MediaType.essence($0) }.flatMap { $0.isEmpty ? nil : $0 }
        let mediaType: String
        if let field = raw.mediaType {
            guard MediaType.manifestTypes.contains(field) else {
                throw .manifestInvalid("unsupported manifest media type \(field)")
            }
            if let declared, declared != field {
                throw .manifestInvalid("Content-Type \(declared) does not match the manifest's mediaType \(field)")
            }
            mediaType = field
        } else if let declared {
            guard declared == MediaType.ociManifest || declared == MediaType.ociIndex else {
                throw .manifestInvalid("unsupported manifest media type \(declared)")
            }
            mediaType = declared
        } else {
            mediaType = raw.manifests != nil ? MediaType.ociIndex : MediaType.ociManifest
        }
        let kind: Kind = (mediaType == MediaType.ociIndex || mediaType == MediaType.dockerManifestList) ? .index : .image
        switch kind {
        case .image:
            guard raw.config != nil else { throw .manifestInvalid("image manifest has no config") }
            if mediaType == MediaType.dockerManifest, raw.layers == nil {
                throw .manifestInvalid("image manifest has no layers")
            }
        case .index:
            guard raw.manifests != nil else { throw .manifestInvalid("index has no manifests") }
        }
        return Manifest(
            mediaType: mediaType,
            kind: kind,
            config: raw.config,
            layers: raw.layers ?? [],
            manifests: raw.manifests ?? [],
            subject: raw.subject,
            artifactType: raw.artifactType,
            annotations: raw.annotations
        )
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            return context.debugDescription + Self.at(context.codingPath)
        case DecodingError.keyNotFound(let key, let context):
            return "missing \(key.stringValue)" + Self.at(context.codingPath)
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return context.debugDescription + Self.at(context.codingPath)
        default:
            return "not valid JSON"
        }
    }

    private static func at(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "" : " at " + path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
