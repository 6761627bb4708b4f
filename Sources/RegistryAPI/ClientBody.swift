import NIOCore
import OCI

/// A request's body as the registry reads it. Failing to read it (a malformed chunked
/// encoding, a body cut short of its `Content-Length`, a client gone) is the client's doing:
/// answered 400 with `code`, never 500 `UNKNOWN`, and neither counted as a storage error
/// (which operators alert on) nor logged as the server's failure.
///
/// A body that ends before its declared length is such a failure too, not a short body:
/// an HTTP/2 stream whose connection drops mid-body simply ends, and a chunk taken for
/// whole would be acknowledged in the upload session as if the client had sent it all.
struct ClientBody<Base: AsyncSequence>: AsyncSequence where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

    let base: Base
    /// The error code a body that cannot be read is answered with.
    let code: RegistryError.Code
    /// The `Content-Length` the request declared, if any.
    let declared: Int64?

    init(base: Base, code: RegistryError.Code, declared: String?) {
        self.base = base
        self.code = code
        self.declared = declared.flatMap { Int64($0) }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let code: RegistryError.Code
        let declared: Int64?
        var received: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            let chunk: ByteBuffer?
            do {
                chunk = try await base.next()
            } catch let error as RegistryError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw RegistryError(code, "the request body could not be read", detail: "\(error)", status: 400)
            }
            guard let chunk else {
                if let declared, received != declared {
                    throw RegistryError(code, "the request body ended after \(received) of its \(declared) bytes", status: 400)
                }
                return nil
            }
            received += Int64(chunk.readableBytes)
            if let declared, received > declared {
                throw RegistryError(code, "the request body is longer than the \(declared) bytes it declared", status: 400)
            }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), code: code, declared: declared)
    }
}
