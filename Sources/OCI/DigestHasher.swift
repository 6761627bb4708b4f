import Crypto

/// An incremental hash over a stream of chunks, so blobs are verified while they stream
/// and never need to be buffered.
public struct DigestHasher: Sendable {
    // swift-crypto's hash functions are copy-on-write values without shared mutable state,
    // but do not declare Sendable; moving one between tasks is safe.
    private enum State: @unchecked Sendable {
        case moving
        case sha256(SHA256)
        case sha384(SHA384)
        case sha512(SHA512)
    }

    private var state: State
    /// The algorithm whose digest ``finalize()`` returns.
    public let algorithm: DigestAlgorithm
    /// Bytes hashed so far; lets an upload session check it is resuming at the right offset.
    public private(set) var count: Int64 = 0

    public init(algorithm: DigestAlgorithm = .sha256) {
        self.algorithm = algorithm
        switch algorithm {
        case .sha256: state = .sha256(SHA256())
        case .sha384: state = .sha384(SHA384())
        case .sha512: state = .sha512(SHA512())
        }
    }

    /// Feeds contiguous bytes.
    public mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        count += Int64(bufferPointer.count)
        // Take the hash out of `state` first so it is uniquely referenced and updates in place
        // instead of copying its context on every chunk.
        switch state {
        case .moving:
            preconditionFailure("hasher re-entered")
        case .sha256(var h):
            state = .moving
            h.update(bufferPointer: bufferPointer)
            state = .sha256(h)
        case .sha384(var h):
            state = .moving
            h.update(bufferPointer: bufferPointer)
            state = .sha384(h)
        case .sha512(var h):
            state = .moving
            h.update(bufferPointer: bufferPointer)
            state = .sha512(h)
        }
    }

    /// Feeds an array of bytes.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update(bufferPointer: $0) }
    }

    /// The digest of everything fed so far.
    public func finalize() -> Digest {
        switch state {
        case .moving: preconditionFailure("hasher re-entered")
        case .sha256(let h): Digest(algorithm: algorithm, bytes: h.finalize())
        case .sha384(let h): Digest(algorithm: algorithm, bytes: h.finalize())
        case .sha512(let h): Digest(algorithm: algorithm, bytes: h.finalize())
        }
    }
}
