import Auth
import Foundation
import Hummingbird
import Index
import OCI
import Registry

extension WebResponder {
    /// The largest image config read for a page: configs are a few KiB; a hostile one is cut.
    static let configLimit = 1 << 20

    func tagPage(_ name: String, _ tag: String, _ request: Request, _ visitor: Visitor) async throws -> Response {
        let missing = page(.notFound, notFound("No tag \(tag) in \(name) here, or it is not yours to see."))
        guard indexAPI.visible(name, to: visitor.principal), try await index.repository(name) != nil,
              let repository = RepositoryName(name), let reference = Reference(tag)
        else { return missing }
        let stored: StoredManifest
        do {
            stored = try await registry.getManifest(repository, reference)
        } catch let error as RegistryError where error.status == 404 {
            return missing
        }
        let manifest = try? Manifest.parse(stored.bytes, contentType: stored.mediaType)
        let now = IndexClock.now()
        let summary = try await index.tag(name, tag)
        // The tag list's row for this very manifest (for a digest's page, a tag on it): its
        // size is the one this page shows, so the two pages agree. A digest no tag is on
        // adds the same things up itself, over the children it shows.
        let listed = summary?.digest == stored.digest.description
            ? summary : try await index.tag(name, digest: stored.digest.description)
        let artifactType = manifest.flatMap {
            Self.artifactType(declared: $0.artifactType, config: $0.config?.mediaType, isIndex: $0.kind == .index)
        }
        var images = [WebView.Image]()
        var referrers = [WebView.Referrer]()
        var hidden = 0
        // Added up as the index adds a tag's size: the manifest, what it names, and for an
        // index each stored child's config and layers.
        var size = Int64(stored.bytes.count)
        if let manifest {
            size = Self.sum([size, manifest.config?.size ?? 0] + manifest.layers.map(\.size))
            if manifest.kind == .index {
                hidden = max(0, manifest.manifests.count - Self.platformLimit)
                for (position, child) in manifest.manifests.enumerated() {
                    size = Self.sum([size, child.size])
                    let shown = position < Self.platformLimit
                    // Build attestations ride in an index as `unknown/unknown` children.
                    let attestation = child.platform?.os == nil || child.platform?.os == "unknown"
                    if shown, attestation {
                        let type = child.annotations?["vnd.docker.reference.type"] ?? child.artifactType ?? child.mediaType
                        referrers.append(referrer(child, type: type, in: name))
                    }
                    // A child is read to show it, or, without the tag list's size, to count its
                    // blobs in the size: the children shown only, so one page view of a huge
                    // index (anyone may ask for a public one) costs as many reads as before.
                    guard shown, !attestation || listed == nil,
                          let childStored = try? await registry.getManifest(repository, .digest(child.digest)),
                          let parsed = try? Manifest.parse(childStored.bytes, contentType: childStored.mediaType)
                    else { continue }
                    size = Self.sum([size, parsed.config?.size ?? 0] + parsed.layers.map(\.size))
                    if shown, !attestation {
                        images.append(await image(
                            parsed, digest: child.digest.description, platform: platformName(child.platform), artifact: false,
                            in: repository, now: now
                        ))
                    }
                }
            } else {
                images.append(await image(
                    manifest, digest: stored.digest.description, platform: nil, artifact: artifactType != nil, in: repository, now: now
                ))
            }
        }
        if let listed { size = listed.size }
        // Two children of one platform would share an id (and a link to the first).
        for (offset, anchor) in Self.uniqueAnchors(images.map(\.anchor)).enumerated() { images[offset].anchor = anchor }
        let subjects = try await registry.referrers(repository, stored.digest, artifactType: nil)
        referrers += subjects.map { referrer($0, type: $0.artifactType ?? $0.mediaType, in: name) }
        let host = registryHost(request)
        let shownReference = Self.reference(name, tag)
        let model = WebView.Tag(
            chrome: chrome(shownReference, visitor: visitor),
            repository: name,
            repositoryURL: repositoryLink(name),
            tag: tag,
            reference: shownReference,
            digest: stored.digest.description,
            mediaType: stored.mediaType,
            artifactType: artifactType,
            isIndex: manifest?.kind == .index,
            size: WebFormat.bytes(size),
            pushed: when(summary?.pushedAt, now: now),
            pusher: summary.flatMap { $0.pusher.isEmpty ? nil : $0.pusher },
            // Docker pulls images; an artifact (a Helm chart, an SBOM) is pulled with ORAS.
            pullCommand: (artifactType == nil ? "docker pull " : "oras pull ") + Self.reference("\(host)/\(name)", tag),
            images: images,
            morePlatforms: hidden > 0 ? "and \(hidden) more not shown" : nil,
            // An image's own annotations are shown with the image; these are an index's.
            annotations: manifest?.kind == .index ? pairs(manifest?.annotations) : [],
            referrers: referrers
        )
        return page(.ok, model, template: "tag")
    }

    /// `name:tag`, or `name@sha256:…` for a digest, as clients write a reference (a tag
    /// never holds a colon; a digest always does).
    static func reference(_ name: String, _ tag: String) -> String {
        name + (tag.contains(":") ? "@" : ":") + tag
    }

    /// The media types of an image's config (as the index reads them): any other config
    /// type makes the manifest an artifact.
    static let imageConfigTypes: Set<String> = [
        "application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json",
    ]

    /// What kind of artifact a manifest is (a Helm chart, a signature, an SBOM), or nil for
    /// an image: its declared `artifactType`, else its config's media type when that is not
    /// an image config. An artifact is no image to `docker pull`.
    static func artifactType(declared: String?, config: String?, isIndex: Bool) -> String? {
        if let declared, !declared.isEmpty { return declared }
        guard !isIndex, let config, !imageConfigTypes.contains(config) else { return nil }
        return config
    }

    /// `anchors` made unique in order: a second `platform-linux-amd64` (two children of
    /// one platform) becomes `platform-linux-amd64-2`, so each section keeps an id of its own.
    static func uniqueAnchors(_ anchors: [String]) -> [String] {
        var seen = Set<String>()
        return anchors.map { anchor in
            var candidate = anchor
            var number = 1
            while seen.contains(candidate) {
                number += 1
                candidate = "\(anchor)-\(number)"
            }
            seen.insert(candidate)
            return candidate
        }
    }

    /// Sizes as a manifest declares them, added without trapping: a manifest may declare
    /// any size, and a page must not fall over adding them.
    static func sum(_ sizes: [Int64]) -> Int64 {
        Descriptor.totalSize(sizes)
    }

    func platformName(_ platform: Descriptor.Platform?) -> String {
        guard let platform else { return "image" }
        return [platform.os, platform.architecture, platform.variant].compactMap { $0 }.joined(separator: "/")
    }

    /// A row of the referrers' table, linked to its own page (a signature's, an SBOM's).
    func referrer(_ descriptor: Descriptor, type: String, in name: String) -> WebView.Referrer {
        WebView.Referrer(
            artifactType: type, digest: descriptor.digest.description, shortDigest: WebFormat.shortDigest(descriptor.digest.description),
            url: link("/r/\(name)/tags/\(descriptor.digest.description)"),
            size: WebFormat.bytes(descriptor.size), annotations: pairs(descriptor.annotations)
        )
    }

    func pairs(_ dictionary: [String: String]?) -> [WebView.KeyValue] {
        (dictionary ?? [:]).sorted { $0.key < $1.key }.map { WebView.KeyValue(key: $0.key, value: $0.value) }
    }

    /// One image: its layers from the manifest, the rest from its config blob (entrypoint,
    /// command, environment, ports, labels, user, working directory, and the history as
    /// the build steps that made it).
    /// - Parameter artifact: an artifact's config is not an image's: it is not read, and
    ///   its layers are shown as they are.
    func image(
        _ manifest: Manifest, digest: String, platform: String?, artifact: Bool, in repository: RepositoryName, now: Int64
    ) async -> WebView.Image {
        let label = platform ?? (artifact ? "artifact" : "image")
        var model = WebView.Image(
            platform: label,
            anchor: "platform-" + label.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined(),
            digest: digest,
            size: WebFormat.bytes(Self.sum([manifest.config?.size ?? 0] + manifest.layers.map(\.size))),
            layers: manifest.layers.enumerated().map { index, layer in
                WebView.Layer(
                    index: index + 1, digest: layer.digest.description, shortDigest: WebFormat.shortDigest(layer.digest.description),
                    mediaType: layer.mediaType, size: WebFormat.bytes(layer.size)
                )
            },
            environment: [], ports: [], labels: [], history: [],
            annotations: pairs(manifest.annotations),
            hasConfig: false
        )
        guard !artifact, let config = manifest.config,
              let bytes = try? await registry.blobBytes(repository, config.digest, limit: Self.configLimit),
              let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        else { return model }
        if platform == nil, let os = object["os"] as? String, let architecture = object["architecture"] as? String {
            model.platform = [os, architecture, object["variant"] as? String].compactMap { $0 }.joined(separator: "/")
            model.anchor = "platform-" + model.platform.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
        }
        if let settings = object["config"] as? [String: Any] {
            model.hasConfig = true
            model.entrypoint = Self.arguments(settings["Entrypoint"])
            model.command = Self.arguments(settings["Cmd"])
            model.user = (settings["User"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            model.workingDir = (settings["WorkingDir"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            model.environment = settings["Env"] as? [String] ?? []
            model.ports = ((settings["ExposedPorts"] as? [String: Any]) ?? [:]).keys.sorted()
            model.labels = pairs((settings["Labels"] as? [String: Any])?.compactMapValues { $0 as? String })
        }
        for step in (object["history"] as? [[String: Any]] ?? []).prefix(500) {
            var command = step["created_by"] as? String ?? ""
            for prefix in ["/bin/sh -c #(nop) ", "/bin/sh -c "] where command.hasPrefix(prefix) {
                command = (prefix.hasSuffix("#(nop) ") ? "" : "RUN ") + command.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
                break
            }
            let created = (step["created"] as? String).flatMap(IndexClock.parse)
            model.history.append(WebView.Step(
                command: command.isEmpty ? "(no command recorded)" : command,
                created: when(created, now: now),
                emptyLayer: step["empty_layer"] as? Bool ?? false,
                comment: (step["comment"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            ))
        }
        return model
    }

    /// `["/bin/sh", "-c", "echo hi"]` as a reader types it: `/bin/sh -c "echo hi"`.
    static func arguments(_ value: Any?) -> String? {
        guard let list = value as? [String], !list.isEmpty else { return nil }
        return list.map { $0.contains(" ") || $0.isEmpty ? "\"" + $0 + "\"" : $0 }.joined(separator: " ")
    }
}
