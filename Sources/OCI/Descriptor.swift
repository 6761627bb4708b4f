/// A reference to content with its size and type, as in OCI descriptors.
public struct Descriptor: Codable, Hashable, Sendable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var urls: [String]?
    public var annotations: [String: String]?
    public var artifactType: String?
    public var platform: Platform?

    public init(
        mediaType: String,
        digest: Digest,
        size: Int64,
        annotations: [String: String]? = nil,
        artifactType: String? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.artifactType = artifactType
    }

    enum CodingKeys: String, CodingKey {
        case mediaType, digest, size, urls, annotations, artifactType, platform
    }

    /// Decodes leniently where clients are known to be sloppy (a missing media type) and
    /// strictly where safety depends on it (digest grammar, non-negative size).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mediaType = try c.decodeIfPresent(String.self, forKey: .mediaType) ?? ""
        digest = try c.decode(Digest.self, forKey: .digest)
        size = try c.decode(Int64.self, forKey: .size)
        guard size >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .size, in: c, debugDescription: "negative size")
        }
        urls = try c.decodeIfPresent([String].self, forKey: .urls)
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
        artifactType = try c.decodeIfPresent(String.self, forKey: .artifactType)
        platform = try c.decodeIfPresent(Platform.self, forKey: .platform)
    }

    /// Platform of an index entry; kept so descriptors round-trip.
    public struct Platform: Codable, Hashable, Sendable {
        public var architecture: String?
        public var os: String?
        public var variant: String?
        public var osVersion: String?
        public var osFeatures: [String]?

        enum CodingKeys: String, CodingKey {
            case architecture, os, variant
            case osVersion = "os.version"
            case osFeatures = "os.features"
        }
    }
}

extension Descriptor {
    /// The sum of sizes manifests declare, at most `Int64.max`: a manifest may declare any
    /// size (a push does not check it against stored bytes, nor does a mirror its
    /// upstream's), and adding two large ones must not trap the server. Negative sizes
    /// count as none.
    public static func totalSize(_ sizes: some Sequence<Int64>) -> Int64 {
        sizes.reduce(Int64(0)) { total, size in
            let (result, overflow) = total.addingReportingOverflow(max(size, 0))
            return overflow ? Int64.max : result
        }
    }
}
