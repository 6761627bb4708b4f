public import NIOCore

/// A blob's bytes (or a range of them) produced in chunks, so no blob is ever held whole in
/// memory; the sender decides where the chunks go. The local registry reads its driver; a
/// mirror would relay an upstream's response the same way.
public struct BlobStream: Sendable {
    private let produce: @Sendable (_ body: (ByteBuffer) async throws -> Void) async throws -> Void

    /// A stream whose bytes `produce` hands, in order, to the body it is given.
    public init(_ produce: @escaping @Sendable (_ body: (ByteBuffer) async throws -> Void) async throws -> Void) {
        self.produce = produce
    }

    /// Reads the bytes in order, handing each chunk to `body`.
    public func read(into body: (ByteBuffer) async throws -> Void) async throws {
        try await produce(body)
    }
}
