/// Where an ``S3Client`` takes the keys it signs each request with.
///
/// Keys given in the configuration, the environment or a credentials file never change while
/// Pier runs, but an EC2 instance role or an ECS task role hands out temporary keys that
/// expire within hours: a long-running registry must ask again before they do, without
/// stopping its requests while it asks.
public protocol S3CredentialSource: Sendable {
    /// The keys to sign a request with now. Called for every request to the store, so a
    /// source answers from memory whenever it can.
    /// - Throws: ``Storage/StorageError/unavailable(_:reason:)`` when there are no usable
    ///   keys: the store cannot be reached without them, which is the server's problem.
    func credentials() async throws -> SignatureV4.Credentials
}

extension SignatureV4.Credentials: S3CredentialSource {
    /// Static keys are their own source.
    public func credentials() async throws -> SignatureV4.Credentials { self }
}
