public import OCI
import Foundation
import Storage

extension Registry {
    /// Stores a manifest after checking it: the digest (when pushed by digest), the blobs
    /// and child manifests it references, and its media type. A `subject` need not exist
    /// yet (OCI 1.1); the manifest is indexed as one of its referrers.
    /// - Returns: the stored manifest and its parsed view.
    public func putManifest(
        _ name: RepositoryName,
        reference: Reference,
        bytes: [UInt8],
        contentType: String?,
        tags extraTags: [Tag] = [],
        origin: RequestOrigin = .internal("push")
    ) async throws -> (StoredManifest, Manifest) {
        try await storeManifest(name, reference: reference, bytes: bytes, contentType: contentType, tags: extraTags, origin: origin, checkingReferences: true)
    }

    /// ``putManifest(_:reference:bytes:contentType:tags:origin:)`` with or without the
    /// check that what the manifest references is already held (a mirror stores an
    /// upstream's manifest before anyone has pulled its layers or other platforms).
    func storeManifest(
        _ name: RepositoryName,
        reference: Reference,
        bytes: [UInt8],
        contentType: String?,
        tags extraTags: [Tag],
        origin: RequestOrigin,
        checkingReferences: Bool
    ) async throws -> (StoredManifest, Manifest) {
        try requireWritable()
        guard bytes.count <= Manifest.maximumSize else {
            throw RegistryError.manifestInvalid("manifest is larger than \(Manifest.maximumSize) bytes", status: 413)
        }
        let manifest = try Manifest.parse(bytes, contentType: contentType)
        // The type served later is read back from the bytes; refuse bytes that would read
        // back as another type than the one pushed.
        guard Self.detectMediaType(bytes) == manifest.mediaType else {
            throw RegistryError.manifestInvalid("manifest shape does not match its media type \(manifest.mediaType)")
        }
        let digest: Digest
        if case .digest(let expected) = reference {
            digest = Digest.of(bytes, algorithm: expected.algorithm)
            guard digest == expected else {
                throw RegistryError.digestInvalid(
                    "manifest digest did not match",
                    detail: "expected \(expected), got \(digest)"
                )
            }
        } else {
            digest = Digest.of(bytes)
        }
        var tags = [Tag]()
        if case .tag(let value) = reference { tags.append(value) }
        for tag in extraTags where !tags.contains(tag) { tags.append(tag) }
        // A mirror's copy follows its upstream, which decides whether a tag moves: an
        // immutable-tag rule over a mirrored name must not leave it unpullable.
        if checkingReferences {
            for tag in tags { try await requireUnchanged(name, tag, pointingAt: digest) }
        }
        // Refused before anything is recorded: a manifest no policy lets in notes nothing.
        if checkingReferences { try checkURLs(manifest) }
        // Recorded before anything is checked, so a collector sweeping meanwhile either
        // keeps what this manifest needs or the check below finds it gone.
        try await noteReferences(
            [digest] + (manifest.config.map { [$0.digest] } ?? []) + (manifest.layers + manifest.manifests).map(\.digest),
            tagging: tags, in: name
        )
        if checkingReferences && options.requireBlobs {
            for blob in manifest.requiredBlobs where try await !hasLayer(name, blob.digest) {
                throw RegistryError(.manifestBlobUnknown, "blob unknown to registry", detail: blob.digest.description)
            }
        }
        for child in manifest.manifests where checkingReferences && mustHold(child) {
            guard try await driver.fileInfo(layout.revisionLink(name, child.digest)) != nil else {
                throw RegistryError(.manifestBlobUnknown, "manifest unknown to registry", detail: child.digest.description)
            }
        }
        try await linkWithinQuota(name, digest, size: Int64(bytes.count)) {
            if try await driver.fileInfo(layout.blobData(digest)) == nil {
                try await driver.write(bytes, to: layout.blobData(digest))
            }
            try await writeLink(digest, to: layout.revisionLink(name, digest))
        }
        revisions.put(Self.revisionKey(name, digest), true)
        await noteRepository(name)
        if let subject = manifest.subject {
            let descriptor = Descriptor(
                mediaType: manifest.mediaType,
                digest: digest,
                size: Int64(bytes.count),
                annotations: manifest.annotations,
                artifactType: manifest.effectiveArtifactType
            )
            let encoded = try JSONEncoder().encode(descriptor)
            try await driver.write(
                Array(encoded),
                to: layout.referrerDescriptor(name, subject: subject.digest, referrer: digest)
            )
        }
        // The tags point at the digest the client pushed by, whatever its algorithm.
        for tag in tags {
            do {
                try await writeLink(digest, to: layout.tagIndexLink(name, tag, digest))
                try await writeLink(digest, to: layout.tagCurrentLink(name, tag))
            } catch {
                await removeEmptyTagDirectories(name, tag, digest)
                throw error
            }
            // Drop rather than set: with concurrent pushes of one tag, the next read then
            // sees whichever link won in storage.
            tagTargets.remove(Self.tagKey(name, tag))
            tagLists.remove(name.value)
        }
        let object = ContentEvent.Object.manifest(digest, mediaType: manifest.mediaType, size: Int64(bytes.count))
        if tags.isEmpty {
            await publish(ContentEvent(.push, name, object, origin: origin))
        }
        for tag in tags {
            await publish(ContentEvent(.push, name, object, tag: tag, origin: origin))
        }
        return (StoredManifest(digest: digest, mediaType: manifest.mediaType, bytes: bytes), manifest)
    }

    /// Takes away what a tag's failed link writes left (a full disk fails a file after its
    /// directories exist, or the current link after the index link): the tag list counts
    /// a tag's directory as a tag, so one left behind would be listed for ever and answer
    /// 404. The index link goes only when the tag has no current link; directories only
    /// when empty, so a concurrent push of the same tag keeps its tag (at worst without
    /// the index link, which only distribution's tooling reads).
    /// Its own task, awaited: a request cancelled by then (a client gone, a shutdown's
    /// drain time out) must not stop half-way and leave the tag it set out to remove.
    private func removeEmptyTagDirectories(_ name: RepositoryName, _ tag: Tag, _ digest: Digest) async {
        tagLists.remove(name.value)
        let (driver, layout) = (driver, layout)
        await Task {
            // Only a definite "no current link": a failed look leaves the index link be.
            var noCurrentLink = false
            do { noCurrentLink = try await driver.fileInfo(layout.tagCurrentLink(name, tag)) == nil } catch {}
            if noCurrentLink { try? await driver.delete(layout.tagIndexLink(name, tag, digest)) }
            let tagDirectory = layout.tagDirectory(name, tag)
            let index = tagDirectory + "/index"
            for directory in [
                index + "/\(digest.algorithm.rawValue)/\(digest.encoded)", index + "/\(digest.algorithm.rawValue)", index,
                tagDirectory + "/current", tagDirectory,
            ] {
                try? await driver.removeIfEmpty(directory)
            }
        }.value
    }

    /// Refuses a manifest that names URLs `validation.manifests.urls` does not allow, or a
    /// foreign layer that names none (its bytes would be nowhere), as distribution does.
    /// distribution checks only some layer types; containerd fetches any descriptor from its
    /// `urls` first, so every descriptor an image manifest names is checked here: the config,
    /// every layer whatever its type, the subject. A mirror's upstream manifests are not
    /// checked: they are the upstream's.
    private func checkURLs(_ manifest: Manifest) throws(RegistryError) {
        for layer in manifest.layers where layer.mediaType == MediaType.dockerForeignLayer && (layer.urls ?? []).isEmpty {
            throw .manifestInvalid("foreign layer \(layer.digest) names no URL to fetch it from")
        }
        let named = (manifest.config.map { [$0] } ?? []) + manifest.layers + manifest.manifests + (manifest.subject.map { [$0] } ?? [])
        for descriptor in named {
            for url in descriptor.urls ?? [] {
                if let reason = options.manifestURLs.refusal(of: url) {
                    throw .manifestInvalid("\(descriptor.digest) names the URL \(url.prefix(200)), which is refused: \(reason)")
                }
            }
        }
    }

    /// Whether an index child must be in the repository before the index is.
    private func mustHold(_ child: Descriptor) -> Bool {
        switch options.indexChildren {
        case .all: return true
        case .none: return false
        case .platforms(let selectors):
            // A child without a platform (a nested index, an artifact) is checked, as with `all`.
            guard let platform = child.platform else { return true }
            return selectors.contains { $0.os == platform.os && $0.architecture == platform.architecture }
        }
    }

    /// The digest a reference names in the repository.
    public func resolve(_ name: RepositoryName, _ reference: Reference) async throws -> Digest {
        switch reference {
        case .tag(let tag):
            let key = Self.tagKey(name, tag)
            if let digest = tagTargets.get(key) { return digest }
            let generation = tagTargets.generation()
            guard let digest = try await readLink(layout.tagCurrentLink(name, tag)) else {
                throw RegistryError.manifestUnknown(reference)
            }
            tagTargets.put(key, digest, ifUnchangedSince: generation)
            return digest
        case .digest(let digest):
            let key = Self.revisionKey(name, digest)
            if revisions.get(key) != nil { return digest }
            let generation = revisions.generation()
            guard try await driver.fileInfo(layout.revisionLink(name, digest)) != nil else {
                throw RegistryError.manifestUnknown(reference)
            }
            revisions.put(key, true, ifUnchangedSince: generation)
            return digest
        }
    }

    /// Fetches a manifest by tag or digest, byte-exact, with its media type.
    public func getManifest(_ name: RepositoryName, _ reference: Reference) async throws -> StoredManifest {
        let digest = try await resolve(name, reference)
        if let cached = manifestContent.get(digest) { return cached }
        guard let bytes = try await driver.contents(of: layout.blobData(digest), limit: Manifest.maximumSize) else {
            throw RegistryError.manifestUnknown(reference)
        }
        let manifest = StoredManifest(digest: digest, mediaType: Self.detectMediaType(bytes), bytes: bytes)
        manifestContent.put(digest, manifest, cost: bytes.count * 2)  // the bytes and their ready-to-send copy
        return manifest
    }

    /// A manifest sent to a client: ``getManifest(_:_:)`` and a pull event.
    public func pullManifest(_ name: RepositoryName, _ reference: Reference, origin: RequestOrigin = .internal("pull")) async throws -> StoredManifest {
        let manifest = try await getManifest(name, reference)
        var tag: Tag?
        if case .tag(let value) = reference { tag = value }
        await publish(ContentEvent(
            .pull, name, .manifest(manifest.digest, mediaType: manifest.mediaType, size: Int64(manifest.bytes.count)), tag: tag, origin: origin
        ))
        return manifest
    }

    /// Deletes by tag (the tag only) or by digest (the manifest, every tag on it, and its
    /// entry among its subject's referrers).
    public func deleteManifest(_ name: RepositoryName, _ reference: Reference, origin: RequestOrigin = .internal("delete")) async throws {
        try requireDeletes()
        var untagged = [Tag]()
        switch reference {
        case .tag(let tag):
            guard try await driver.fileInfo(layout.tagCurrentLink(name, tag)) != nil else {
                throw RegistryError.manifestUnknown(reference)
            }
            try requireDeletable(name, tag)
            try await driver.delete(layout.tagDirectory(name, tag))
            tagTargets.remove(Self.tagKey(name, tag))
            tagLists.remove(name.value)
        case .digest(let digest):
            revisions.remove(Self.revisionKey(name, digest))
            guard try await driver.fileInfo(layout.revisionLink(name, digest)) != nil else {
                throw RegistryError.manifestUnknown(reference)
            }
            try await requireUnreached(name, digest)
            var tagged = [Tag]()
            for tag in try await driver.list(layout.tagsDirectory(name)) ?? [] {
                guard let tag = Tag(tag) else { continue }
                if try await readLink(layout.tagCurrentLink(name, tag)) == digest {
                    try requireDeletable(name, tag)
                    tagged.append(tag)
                }
            }
            if let bytes = try? await driver.contents(of: layout.blobData(digest), limit: Manifest.maximumSize),
               let manifest = try? Manifest.parse(bytes, contentType: nil),
               let subject = manifest.subject
            {
                try await driver.delete(layout.referrerDirectory(name, subject: subject.digest, referrer: digest))
            }
            for tag in tagged {
                try await driver.delete(layout.tagDirectory(name, tag))
                tagTargets.remove(Self.tagKey(name, tag))
                tagLists.remove(name.value)
                untagged.append(tag)
            }
            try await driver.delete(layout.revisionDirectory(name, digest))
            revisions.remove(Self.revisionKey(name, digest))
        }
        uncounted(name)
        switch reference {
        case .tag(let tag): await publish(ContentEvent(.delete, name, .tag(tag), origin: origin))
        case .digest(let digest): await publish(ContentEvent(.delete, name, .manifest(digest, mediaType: nil, size: nil), origin: origin))
        }
        // Each tag the manifest took with it is a delete of its own, as distribution sends
        // them (its tag service's untag after the manifest's delete).
        for tag in untagged { await publish(ContentEvent(.delete, name, .tag(tag), origin: origin)) }
    }

    /// The media type of stored manifest bytes: the `mediaType` field, or for OCI documents
    /// that omit it, index or manifest by shape. Pushes are checked to agree with this, so it
    /// is always the type the manifest was pushed with.
    public static func detectMediaType(_ bytes: [UInt8]) -> String {
        struct Probe: Decodable {
            var mediaType: String?
            var manifests: [Discard]?
            var schemaVersion: Int?
        }
        struct Discard: Decodable {}
        guard let probe = try? JSONDecoder().decode(Probe.self, from: Data(bytes)) else {
            return MediaType.ociManifest
        }
        if let mediaType = probe.mediaType { return mediaType }
        if probe.schemaVersion == 1 { return MediaType.dockerSchema1Signed }
        return probe.manifests != nil ? MediaType.ociIndex : MediaType.ociManifest
    }
}
