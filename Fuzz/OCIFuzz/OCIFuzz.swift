import FuzzSupport
import OCI

/// The parsers of what clients send to the registry: a manifest or index with any media
/// type, digests, references, repository names, tags, globs. Any input must give a value
/// or a typed error, never a crash, a hang or unbounded memory, and a value must read back
/// the same.
@main
enum OCIFuzz {
    static func main() { FuzzDriver.run(checkInput) }

    static let checkInput: FuzzDriver.Check = { data, size in
        check(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }

    static let contentTypes: [String?] = [
        nil, MediaType.ociManifest, MediaType.ociIndex, MediaType.dockerManifest, MediaType.dockerManifestList,
        MediaType.dockerSchema1Signed, "application/json", "text/plain",
    ]

    static func check(_ bytes: [UInt8]) {
        // The first byte picks the content type; the rest is the body.
        let contentType = contentTypes[Int(bytes.first ?? 0) % contentTypes.count]
        if let manifest = try? Manifest.parse(Array(bytes.dropFirst()), contentType: contentType) {
            _ = manifest.requiredBlobs
            _ = manifest.effectiveArtifactType
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if let digest = Digest(text) { precondition(Digest(digest.description) == digest) }
        if let reference = Reference(text) { precondition(Reference(reference.description) == reference) }
        if let name = RepositoryName(text) { precondition(RepositoryName(name.value) == name) }
        if let tag = Tag(text) { precondition(Tag(tag.value) == tag) }
        let glob = RepositoryGlob(String(text.prefix(64)))
        _ = glob.matches(String(text.suffix(64)))
    }
}
