public import OCI

/// Something that happened to a repository's content, published by the registry whatever
/// door caused it, so notifications, the index, webhooks, pull counts and garbage
/// collection all learn of the same changes from one place.
public struct ContentEvent: Sendable, Equatable {
    /// What was done, in distribution's words.
    public enum Action: String, Sendable {
        /// A blob upload completed, or a manifest was stored (a tag moves with it).
        case push
        /// A blob's bytes or a manifest was sent to a client (not on HEAD).
        case pull
        /// A blob was linked from another repository without moving bytes.
        case mount
        /// A blob link, a manifest (with its tags) or a tag was removed.
        case delete
    }

    /// What the action was done to.
    public enum Object: Sendable, Equatable {
        /// A blob; its size where known.
        case blob(Digest, size: Int64?)
        /// A manifest; its media type and size where known (not on delete by digest).
        case manifest(Digest, mediaType: String?, size: Int64?)
        /// A tag alone (a delete by tag).
        case tag(Tag)
    }

    /// What was done.
    public var action: Action
    /// Where it was done.
    public var repository: RepositoryName
    /// What it was done to.
    public var object: Object
    /// The tag a manifest was pushed or pulled by.
    public var tag: Tag?
    /// The repository a mounted blob came from, when the client named it.
    public var fromRepository: RepositoryName?
    /// Who caused it.
    public var origin: RequestOrigin
    /// A manifest delete that is part of deleting the whole repository
    /// (``Registry/deleteRepository(_:origin:)``): the index forgets the repository, and its
    /// own webhooks with it, right after, so webhooks must file what they need to still
    /// deliver it.
    public var repositoryDeletion: Bool

    public init(
        _ action: Action, _ repository: RepositoryName, _ object: Object,
        tag: Tag? = nil, from fromRepository: RepositoryName? = nil, origin: RequestOrigin, repositoryDeletion: Bool = false
    ) {
        self.action = action
        self.repository = repository
        self.object = object
        self.tag = tag
        self.fromRepository = fromRepository
        self.origin = origin
        self.repositoryDeletion = repositoryDeletion
    }
}
