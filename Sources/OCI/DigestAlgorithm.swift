/// The hash functions a registry can verify content with.
///
/// Unregistered algorithms are refused rather than stored unverified (principle: never
/// expose content that failed verification).
public enum DigestAlgorithm: String, Sendable, Hashable, CaseIterable {
    case sha256
    case sha384
    case sha512

    /// Length of the hex encoding, which the grammar pins exactly.
    public var hexLength: Int {
        switch self {
        case .sha256: 64
        case .sha384: 96
        case .sha512: 128
        }
    }
}
