public import NIOCore

/// A request body made of chunks, as the HTTP layer hands it over.
public struct Chunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let parts: [[UInt8]]

    /// A body of these chunks, in order.
    public init(_ parts: [UInt8]...) { self.parts = parts }

    /// A body of these chunks, in order.
    public init(parts: [[UInt8]]) { self.parts = parts }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var parts: [[UInt8]]
        public mutating func next() async throws -> ByteBuffer? {
            parts.isEmpty ? nil : ByteBuffer(bytes: parts.removeFirst())
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(parts: parts) }
}
