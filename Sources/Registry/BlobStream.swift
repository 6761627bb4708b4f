public import NIOCore
import Storage

/// A blob's bytes (or a range of them) read from the driver in chunks, so no blob is ever
/// held whole in memory; the sender decides where the chunks go.
public struct BlobStream: Sendable {
    let driver: any StorageDriver
    let path: String
    let range: Range<Int64>?

    /// Reads the bytes in order, handing each chunk to `body`.
    public func read(into body: (ByteBuffer) async throws -> Void) async throws {
        try await driver.read(path, range: range, into: body)
    }
}
