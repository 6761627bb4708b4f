import NIOCore
import OCI

/// A request's body as the registry reads it. Failing to read it (a malformed chunked
/// encoding, a body cut short of its `Content-Length`, a client gone) is the client's doing:
/// answered 400 with `code`, never 500 `UNKNOWN`, and neither counted as a storage error
/// (which operators alert on) nor logged as the server's failure.
struct ClientBody<Base: AsyncSequence>: AsyncSequence where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

    let base: Base
    /// The error code a body that cannot be read is answered with.
    let code: RegistryError.Code

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let code: RegistryError.Code

        mutating func next() async throws -> ByteBuffer? {
            do {
                return try await base.next()
            } catch let error as RegistryError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw RegistryError(code, "the request body could not be read", detail: "\(error)", status: 400)
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), code: code)
    }
}
