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
        var images = [WebView.Image]()
        var referrers = [WebView.Referrer]()
        var size = Int64(stored.bytes.count)
        if let manifest {
            size = Self.sum([size, manifest.config?.size ?? 0] + manifest.layers.map(\.size))
            if manifest.kind == .index {
                for child in manifest.manifests.prefix(Self.platformLimit) {
                    size = Self.sum([size, child.size])
                    // Build attestations ride in an index as `unknown/unknown` children.
                    if child.platform?.os == nil || child.platform?.os == "unknown" {
                        referrers.append(referrer(child, type: child.annotations?["vnd.docker.reference.type"] ?? child.artifactType ?? child.mediaType))
                        continue
                    }
                    guard let childStored = try? await registry.getManifest(repository, .digest(child.digest)),
                          let parsed = try? Manifest.parse(childStored.bytes, contentType: childStored.mediaType)
                    else { continue }
                    images.append(await image(parsed, digest: child.digest.description, platform: platformName(child.platform), in: repository, now: now))
                }
            } else {
                images.append(await image(manifest, digest: stored.digest.description, platform: nil, in: repository, now: now))
            }
        }
        let subjects = try await registry.referrers(repository, stored.digest, artifactType: nil)
        referrers += subjects.map { referrer($0, type: $0.artifactType ?? $0.mediaType) }
        let host = registryHost(request)
        let summary = try await index.tag(name, tag)
        let model = WebView.Tag(
            chrome: chrome("\(name):\(tag)", visitor: visitor),
            repository: name,
            repositoryURL: repositoryLink(name),
            tag: tag,
            digest: stored.digest.description,
            mediaType: stored.mediaType,
            isIndex: manifest?.kind == .index,
            size: WebFormat.bytes(size),
            pushed: when(summary?.pushedAt, now: now),
            pusher: summary.flatMap { $0.pusher.isEmpty ? nil : $0.pusher },
            pullCommand: "docker pull \(host)/\(name)" + (tag.hasPrefix("sha256:") ? "@" : ":") + tag,
            images: images,
            annotations: pairs(manifest?.annotations),
            referrers: referrers
        )
        return page(.ok, model, template: "tag")
    }

    /// Sizes as a manifest declares them, added without trapping: a manifest may declare
    /// any size, and a page must not fall over adding them.
    static func sum(_ sizes: [Int64]) -> Int64 {
        sizes.reduce(Int64(0)) { total, size in
            let (result, overflow) = total.addingReportingOverflow(max(size, 0))
            return overflow ? Int64.max : result
        }
    }

    func platformName(_ platform: Descriptor.Platform?) -> String {
        guard let platform else { return "image" }
        return [platform.os, platform.architecture, platform.variant].compactMap { $0 }.joined(separator: "/")
    }

    func referrer(_ descriptor: Descriptor, type: String) -> WebView.Referrer {
        WebView.Referrer(
            artifactType: type, digest: descriptor.digest.description, shortDigest: WebFormat.shortDigest(descriptor.digest.description),
            size: WebFormat.bytes(descriptor.size), annotations: pairs(descriptor.annotations)
        )
    }

    func pairs(_ dictionary: [String: String]?) -> [WebView.KeyValue] {
        (dictionary ?? [:]).sorted { $0.key < $1.key }.map { WebView.KeyValue(key: $0.key, value: $0.value) }
    }

    /// One image: its layers from the manifest, the rest from its config blob (entrypoint,
    /// command, environment, ports, labels, user, working directory, and the history as
    /// the build steps that made it).
    func image(_ manifest: Manifest, digest: String, platform: String?, in repository: RepositoryName, now: Int64) async -> WebView.Image {
        var model = WebView.Image(
            platform: platform ?? "image",
            anchor: "platform-" + (platform ?? "image").map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined(),
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
        guard let config = manifest.config,
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
