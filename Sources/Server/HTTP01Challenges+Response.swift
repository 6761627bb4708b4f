import ACME
import Hummingbird
import HTTPTypes
import NIOCore

extension HTTP01Challenges {
    /// The answer to an ACME server fetching `/.well-known/acme-challenge/<token>`; nil for
    /// any other request, 404 for a token not pending.
    func response(to request: Request) -> Response? {
        let path = request.uri.path
        guard path.hasPrefix(Self.pathPrefix) else { return nil }
        guard request.method == .get || request.method == .head,
              let answer = answer(for: path.dropFirst(Self.pathPrefix.count))
        else {
            return Response(status: .notFound, headers: [.contentLength: "0"])
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/octet-stream", .contentLength: String(answer.utf8.count)],
            body: .init(byteBuffer: ByteBuffer(string: answer))
        )
    }
}
