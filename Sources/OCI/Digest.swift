/// A content address (`algorithm:encoded`) as defined by the OCI image spec.
///
/// Parsing is strict because a digest ends up in storage paths: only the registered
/// algorithms with their exact hex lengths are accepted, so no digest can ever name a
/// path outside the blob store.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The hash function that produced ``encoded``.
    public let algorithm: DigestAlgorithm
    /// The lowercase hex encoding of the hash.
    public let encoded: String

    /// Parses `sha256:<64 hex>` (or sha384/sha512), returning nil for anything else.
    ///
    /// Inlined so each caller's string type is known where it is converted: parsed as a
    /// generic `StringProtocol`, every manifest and blob request paid for runtime
    /// metadata lookups and a search by `Character`.
    @inlinable
    public init?(_ string: some StringProtocol) {
        self.init(parsing: Substring(string))
    }

    /// The parse itself, over UTF-8 bytes.
    @usableFromInline
    init?(parsing string: Substring) {
        let utf8 = string.utf8
        guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        // Registered names fit a small string (15 bytes), so naming one never allocates, and
        // a client's long junk before the `:` is refused before it is copied.
        let name = utf8[..<colon]
        guard name.count <= 15, let algorithm = DigestAlgorithm(rawValue: String(Substring(name))) else { return nil }
        let encoded = utf8[utf8.index(after: colon)...]
        guard encoded.count == algorithm.hexLength,
              encoded.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else { return nil }
        self.algorithm = algorithm
        self.encoded = String(Substring(encoded))
    }

    /// Builds a digest from a finished hash.
    public init(algorithm: DigestAlgorithm, bytes: some Sequence<UInt8>) {
        self.algorithm = algorithm
        self.encoded = Digest.hex(bytes)
    }

    /// The digest of `bytes`, hashed in one go (for manifests and other small documents).
    public static func of(_ bytes: some Sequence<UInt8>, algorithm: DigestAlgorithm = .sha256) -> Digest {
        var hasher = DigestHasher(algorithm: algorithm)
        hasher.update(Array(bytes))
        return hasher.finalize()
    }

    public var description: String { "\(algorithm.rawValue):\(encoded)" }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Lowercase hex of `bytes`, as digests and signatures spell them, without
    /// `String(format:)` (slow, and it loads ICU's locale data).
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(128)
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Digest: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let digest = Digest(string) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "invalid digest '\(string)'")
        }
        self = digest
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
