public import NIOCore

/// A blob's bytes (or a range of them) produced in chunks, so no blob is ever held whole in
/// memory; the sender decides where the chunks go. The local registry reads its driver; a
/// mirror would relay an upstream's response the same way.
public struct BlobStream: Sendable {
    /// Where the bytes come from, so a failure halfway is reported as what it is: the
    /// registry's store failing, or an upstream's transfer breaking off.
    public enum Source: Sendable, Equatable {
        /// The registry's own storage.
        case store
        /// A mirror's upstream, by host, relayed as it arrives.
        case upstream(String)
    }

    private let produce: @Sendable (_ body: (ByteBuffer) async throws -> Void) async throws -> Void
    /// Where the bytes come from.
    public let source: Source

    /// A stream whose bytes `produce` hands, in order, to the body it is given.
    public init(source: Source = .store, _ produce: @escaping @Sendable (_ body: (ByteBuffer) async throws -> Void) async throws -> Void) {
        self.source = source
        self.produce = produce
    }

    /// Reads the bytes in order, handing each chunk to `body`.
    public func read(into body: (ByteBuffer) async throws -> Void) async throws {
        try await produce(body)
    }
}
