public import OCI

/// Where everything lives in storage: distribution's `docker/registry/v2` layout, so Pier and
/// distribution read each other's data.
///
/// Pier adds only `_referrers/` inside a repository, which distribution skips as it skips
/// every `_`-prefixed directory there.
public struct Layout: Sendable {
    /// The prefix of every path, as distribution's storage drivers use it.
    public static let base = "/docker/registry/v2"

    public init() {}

    public var repositoriesRoot: String { Self.base + "/repositories" }

    public func blobDirectory(_ digest: Digest) -> String {
        "\(Self.base)/blobs/\(digest.algorithm.rawValue)/\(digest.encoded.prefix(2))/\(digest.encoded)"
    }

    public func blobData(_ digest: Digest) -> String { blobDirectory(digest) + "/data" }

    public func repository(_ name: RepositoryName) -> String { "\(repositoriesRoot)/\(name.value)" }

    public func layerLinkDirectory(_ name: RepositoryName, _ digest: Digest) -> String {
        "\(repository(name))/_layers/\(digest.algorithm.rawValue)/\(digest.encoded)"
    }

    public func layerLink(_ name: RepositoryName, _ digest: Digest) -> String {
        layerLinkDirectory(name, digest) + "/link"
    }

    public func revisionDirectory(_ name: RepositoryName, _ digest: Digest) -> String {
        "\(repository(name))/_manifests/revisions/\(digest.algorithm.rawValue)/\(digest.encoded)"
    }

    public func revisionLink(_ name: RepositoryName, _ digest: Digest) -> String {
        revisionDirectory(name, digest) + "/link"
    }

    public func tagsDirectory(_ name: RepositoryName) -> String { "\(repository(name))/_manifests/tags" }

    public func tagDirectory(_ name: RepositoryName, _ tag: Tag) -> String { "\(tagsDirectory(name))/\(tag.value)" }

    public func tagCurrentLink(_ name: RepositoryName, _ tag: Tag) -> String {
        tagDirectory(name, tag) + "/current/link"
    }

    public func tagIndexLink(_ name: RepositoryName, _ tag: Tag, _ digest: Digest) -> String {
        "\(tagDirectory(name, tag))/index/\(digest.algorithm.rawValue)/\(digest.encoded)/link"
    }

    public func uploadsDirectory(_ name: RepositoryName) -> String { "\(repository(name))/_uploads" }

    public func uploadDirectory(_ name: RepositoryName, _ id: UploadID) -> String {
        "\(uploadsDirectory(name))/\(id.value)"
    }

    public func uploadData(_ name: RepositoryName, _ id: UploadID) -> String { uploadDirectory(name, id) + "/data" }

    public func uploadStartedAt(_ name: RepositoryName, _ id: UploadID) -> String {
        uploadDirectory(name, id) + "/startedat"
    }

    public func referrersDirectory(_ name: RepositoryName, subject: Digest) -> String {
        "\(repository(name))/_referrers/\(subject.algorithm.rawValue)/\(subject.encoded)"
    }

    public func referrerDescriptor(_ name: RepositoryName, subject: Digest, referrer: Digest) -> String {
        "\(referrersDirectory(name, subject: subject))/\(referrer.algorithm.rawValue)/\(referrer.encoded)/descriptor"
    }
}
