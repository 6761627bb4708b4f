public import NIOCore
public import OCI

/// Everything the doors of the registry (the HTTP API, the command line, the index) may ask
/// of content: blobs, uploads, manifests, tags, referrers and the catalog.
///
/// ``Registry`` is the local implementation over a storage driver; a pull-through mirror
/// implements it by wrapping one, as distribution's proxy stores wrap its local stores.
/// Nothing above this protocol reaches a driver, and every change made through it is
/// published to the implementation's event sink, whichever door caused it.
///
/// Methods that publish an event take the ``RequestOrigin`` the event names; the rest
/// (HEAD, listings, the steps of an upload before it completes) take none.
public protocol ContentStore: Sendable {
    /// How much of a request's origin the event subscribers read, so a door gathers no
    /// more than that (nothing at all without subscribers).
    var eventDetail: EventDetail { get }

    // MARK: blobs

    /// What a HEAD of a blob or of one range of it answers: sizes, no body, no event.
    /// - Throws: `BLOB_UNKNOWN`, or `RANGE_INVALID` (416) for an unsatisfiable range.
    func headBlob(_ name: RepositoryName, _ digest: Digest, range: ByteRange?) async throws -> BlobContent

    /// What to send for a GET of a blob or of one range of it; publishes a pull.
    /// - Throws: `BLOB_UNKNOWN`, or `RANGE_INVALID` (416) for an unsatisfiable range.
    func pullBlob(_ name: RepositoryName, _ digest: Digest, range: ByteRange?, origin: RequestOrigin) async throws -> BlobContent

    /// A small blob's bytes whole (an image's config), with no pull event: what the index
    /// reads of an image it was told was pushed. Nil when the repository does not hold it.
    /// - Throws: when it is larger than `limit` bytes.
    func blobBytes(_ name: RepositoryName, _ digest: Digest, limit: Int) async throws -> [UInt8]?

    /// Unlinks a blob from a repository; the bytes stay until garbage collection.
    func deleteBlob(_ name: RepositoryName, _ digest: Digest, origin: RequestOrigin) async throws

    /// Links a blob that exists elsewhere without moving bytes.
    /// - Returns: false when the client must upload it instead.
    func mountBlob(_ name: RepositoryName, _ digest: Digest, from source: RepositoryName?, origin: RequestOrigin) async throws -> Bool

    // MARK: uploads

    /// Opens an upload session, kept in storage so any instance can continue it.
    func startUpload(_ name: RepositoryName) async throws -> UploadID

    /// Bytes a session holds: where a client resumes.
    func uploadSize(_ name: RepositoryName, _ id: UploadID) async throws -> Int64

    /// Adds a chunk at `offset` (416 when it is not the session's end); no event, since
    /// nothing is visible until the session completes.
    func appendUpload<Body: AsyncSequence>(
        _ name: RepositoryName, _ id: UploadID, at offset: Int64?, body: Body
    ) async throws -> Int64 where Body.Element == ByteBuffer

    /// Verifies and commits a session; publishes a push.
    func completeUpload<Body: AsyncSequence>(
        _ name: RepositoryName, _ id: UploadID, digest: Digest, at offset: Int64?, body: Body?, origin: RequestOrigin
    ) async throws -> Int64 where Body.Element == ByteBuffer

    /// A whole blob in one request; publishes a push.
    func uploadMonolithic<Body: AsyncSequence>(
        _ name: RepositoryName, digest: Digest, body: Body, origin: RequestOrigin
    ) async throws -> Int64 where Body.Element == ByteBuffer

    /// Abandons a session and frees its bytes.
    func cancelUpload(_ name: RepositoryName, _ id: UploadID) async throws

    // MARK: manifests

    /// A manifest by tag or digest (a HEAD, or a read by the registry's own tools); no event.
    func getManifest(_ name: RepositoryName, _ reference: Reference) async throws -> StoredManifest

    /// A manifest sent to a client; publishes a pull.
    func pullManifest(_ name: RepositoryName, _ reference: Reference, origin: RequestOrigin) async throws -> StoredManifest

    /// Checks and stores a manifest, moving the tag it was pushed by and every tag in
    /// `tags` (`?tag=` on a push by digest) to it; publishes a push per tag moved, or one.
    func putManifest(
        _ name: RepositoryName, reference: Reference, bytes: [UInt8], contentType: String?, tags: [Tag], origin: RequestOrigin
    ) async throws -> (StoredManifest, Manifest)

    /// Deletes a tag, or a manifest with its tags; publishes a delete.
    func deleteManifest(_ name: RepositoryName, _ reference: Reference, origin: RequestOrigin) async throws

    // MARK: listings

    /// A repository's tags in order, a page at a time.
    func tags(_ name: RepositoryName, limit: Int, after last: String?) async throws -> Page

    /// Every repository's name in order, a page at a time.
    func catalog(limit: Int, after last: String?) async throws -> Page

    /// The manifests whose `subject` is `digest`, optionally of one artifact type.
    func referrers(_ name: RepositoryName, _ digest: Digest, artifactType: String?) async throws -> [Descriptor]

    // MARK: health

    /// Proves the content's store takes a write (`/debug/health/storage`); throws what failed.
    func checkHealth() async throws

    /// Proves the store answers, without writing (`health.storagedriver`, which takes the
    /// instance out of rotation when it fails: a full disk must not stop pulls too).
    func checkReachable() async throws
}
