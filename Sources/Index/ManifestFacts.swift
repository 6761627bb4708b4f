import OCI

/// What a tag's page shows of the manifest it points at, read from the manifest alone so
/// indexing a push costs no blob reads.
struct ManifestFacts: Sendable, Equatable {
    /// The manifest and every blob or child it names.
    var size: Int64
    /// `os/architecture[/variant]` of each child of an index.
    var platforms: [String]
    /// `org.opencontainers.image.description` from the manifest's annotations, else from
    /// the image's labels.
    var description: String?
    /// When the image was built: its config's `created`, in milliseconds since 1970.
    var created: Int64?
    /// The image's labels (`config.Labels`), searched and shown on its tag.
    var labels: [String: String] = [:]

    init(size: Int64, platforms: [String] = [], description: String? = nil) {
        self.size = size
        self.platforms = platforms
        self.description = description
    }

    init(bytes: [UInt8], mediaType: String) {
        guard let manifest = try? Manifest.parse(bytes, contentType: mediaType) else {
            self.init(size: Int64(bytes.count))
            return
        }
        // Declared sizes, added without trapping (``Descriptor/totalSize(_:)``).
        let size = Descriptor.totalSize(
            [Int64(bytes.count), manifest.config?.size ?? 0] + manifest.layers.map(\.size) + manifest.manifests.map(\.size)
        )
        var platforms = [String]()
        for child in manifest.manifests {
            guard let platform = child.platform, let os = platform.os, let architecture = platform.architecture,
                  os != "unknown" else { continue }  // attestations are `unknown/unknown`
            let name = [os, architecture, platform.variant].compactMap { $0 }.joined(separator: "/")
            if !platforms.contains(name) { platforms.append(name) }
        }
        self.init(size: size, platforms: platforms, description: manifest.annotations?["org.opencontainers.image.description"])
    }
}
