import ACME
import Hummingbird
import HTTPTypes
import RegistryAPI

/// The plain listener with `http.plain.redirect`: every request is sent to the same path
/// over HTTPS with 308, which keeps the method and body (301/302 would turn a PUT into a GET).
struct RedirectResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let httpsPort: Int
    /// `http.host`, when it is an https URL: where clients reach this registry, which behind
    /// a port mapping (`-p 443:5000`) is not `httpsPort` on the asked host.
    let externalURL: String?
    /// http-01 answers, which must be served over plain HTTP.
    let acmeChallenges: HTTP01Challenges?

    init(httpsPort: Int, externalURL: String? = nil, acmeChallenges: HTTP01Challenges?) {
        self.httpsPort = httpsPort
        self.externalURL = externalURL.flatMap { $0.lowercased().hasPrefix("https://") ? $0 : nil }
        self.acmeChallenges = acmeChallenges
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        if let response = acmeChallenges?.response(to: request) { return response }
        if let externalURL {
            return Response(status: .permanentRedirect, headers: [.location: externalURL + (request.head.path ?? "/"), .contentLength: "0"])
        }
        // Only a host goes into the redirect (a `Host` of `evil/x?` would make it point
        // elsewhere); anything else sends the client to localhost's HTTPS, as no Host does.
        let authority = request.head.authority.flatMap { URLAuthority.isValid(Substring($0)) ? $0 : nil } ?? "localhost"
        var host = Substring(authority)
        // Drop the plain port, keeping IPv6 brackets intact.
        if let colon = host.lastIndex(of: ":"), !host[colon...].contains("]") { host = host[..<colon] }
        let port = httpsPort == 443 ? "" : ":\(httpsPort)"
        let location = "https://\(host)\(port)\(request.head.path ?? "/")"
        return Response(status: .permanentRedirect, headers: [.location: location, .contentLength: "0"])
    }
}
