import Foundation
import OCI
import Registry

extension ManifestFacts {
    /// The largest config read: Docker's carry the build history, rarely past 100 KiB.
    static let configLimit = 1 << 20

    /// The media types of an image's config (an artifact's config says nothing of an image).
    static let imageConfigTypes: Set<String> = [
        "application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json",
    ]

    /// What `stored` says of itself, with what its image's config adds: when it was built
    /// and its labels (for an index, its `linux/amd64` child's, else its first platform's),
    /// and for an index its children's blobs in its size. A few small reads (one per child
    /// of an index), made by the index's feed, never by the push; a config that cannot be
    /// read leaves those facts out.
    static func read(_ stored: StoredManifest, in repository: RepositoryName, from content: any ContentStore) async -> ManifestFacts {
        var facts = ManifestFacts(bytes: stored.bytes, mediaType: stored.mediaType)
        guard var image = try? Manifest.parse(stored.bytes, contentType: stored.mediaType) else { return facts }
        let single = image.kind == .image
        if image.kind == .index {
            // What the tag holds is its children's configs and layers too: a multi-arch
            // tag's size was its manifests' few kilobytes. Only what is stored here counts
            // (a mirror keeps just the platforms that were pulled).
            for child in image.manifests {
                guard let stored = try? await content.getManifest(repository, .digest(child.digest)),
                      let parsed = try? Manifest.parse(stored.bytes, contentType: stored.mediaType) else { continue }
                facts.size = Descriptor.totalSize([facts.size, parsed.config?.size ?? 0] + parsed.layers.map(\.size))
            }
            let children = image.manifests.filter { $0.platform?.os != nil && $0.platform?.os != "unknown" }
            let preferred = children.first { $0.platform?.os == "linux" && $0.platform?.architecture == "amd64" } ?? children.first
            guard let preferred, let child = try? await content.getManifest(repository, .digest(preferred.digest)),
                  let parsed = try? Manifest.parse(child.bytes, contentType: child.mediaType) else { return facts }
            image = parsed
        }
        guard image.kind == .image, let config = image.config, imageConfigTypes.contains(config.mediaType),
              config.size <= configLimit,
              let bytes = try? await content.blobBytes(repository, config.digest, limit: configLimit),
              let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        else { return facts }
        if let created = object["created"] as? String { facts.created = Self.milliseconds(created) }
        // A single-platform image names its platform only in its config.
        if single, facts.platforms.isEmpty, let os = object["os"] as? String, let architecture = object["architecture"] as? String,
           !os.isEmpty, !architecture.isEmpty, os != "unknown" {
            facts.platforms = [[os, architecture, object["variant"] as? String].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "/")]
        }
        if let labels = (object["config"] as? [String: Any])?["Labels"] as? [String: Any] {
            for (key, value) in labels {
                if let text = value as? String { facts.labels[key] = text }
            }
        }
        if facts.description?.isEmpty ?? true, let label = facts.labels["org.opencontainers.image.description"], !label.isEmpty {
            facts.description = label
        }
        return facts
    }

    /// An RFC 3339 time (with or without fractions of a second) in milliseconds since 1970.
    static func milliseconds(_ text: String) -> Int64? {
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // Go writes nanoseconds; the formatter reads at most milliseconds.
        var trimmed = text
        if let dot = text.firstIndex(of: "."), let zone = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            let digits = text[text.index(after: dot)..<zone]
            trimmed = String(text[..<dot]) + "." + String((digits + "000").prefix(3)) + String(text[zone...])
        }
        let date = fractional.date(from: trimmed) ?? ISO8601DateFormatter().date(from: text)
        guard let date, date.timeIntervalSince1970 >= 0 else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
