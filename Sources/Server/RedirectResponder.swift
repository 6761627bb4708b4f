import ACME
import Hummingbird
import HTTPTypes

/// The plain listener with `http.plain.redirect`: every request is sent to the same path
/// over HTTPS with 308, which keeps the method and body (301/302 would turn a PUT into a GET).
struct RedirectResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let httpsPort: Int
    /// http-01 answers, which must be served over plain HTTP.
    let acmeChallenges: HTTP01Challenges?

    func respond(to request: Request, context: Context) async throws -> Response {
        if let response = acmeChallenges?.response(to: request) { return response }
        let authority = request.head.authority ?? "localhost"
        var host = Substring(authority)
        // Drop the plain port, keeping IPv6 brackets intact.
        if let colon = host.lastIndex(of: ":"), !host[colon...].contains("]") { host = host[..<colon] }
        let port = httpsPort == 443 ? "" : ":\(httpsPort)"
        let location = "https://\(host)\(port)\(request.head.path ?? "/")"
        return Response(status: .permanentRedirect, headers: [.location: location, .contentLength: "0"])
    }
}
