import Auth
import Hummingbird
import HTTPTypes
import NIOCore
import OCI

extension RegistryResponder {
    /// What a request must be allowed to do, in token-scope terms, as distribution derives
    /// it: reads need `pull`, writes `pull,push`, deletes `delete`, the catalog its own
    /// scope; `GET /v2/` needs only an authenticated caller.
    static func neededScopes(_ route: RegistryRoute, _ method: HTTPRequest.Method) -> [AccessScope] {
        let reading = method == .get || method == .head
        switch route {
        case .base:
            return []
        case .catalog:
            return [.catalog]
        case .tags(let name), .referrers(let name, _):
            return [.repository(name.description, .pull)]
        case .manifest(let name, _), .blob(let name, _), .uploads(let name), .upload(let name, _):
            // As distribution: any DELETE needs `delete`, including cancelling an upload.
            if method == .delete { return [.repository(name.description, .delete)] }
            if route.isUpload { return [.repository(name.description, [.pull, .push])] }
            return [.repository(name.description, reading ? .pull : [.pull, .push])]
        }
    }

    /// Authenticates and authorizes a request; nil when no `auth` is configured.
    func authorize(_ request: Request, _ route: RegistryRoute, _ context: Context) async throws(AuthFailure) -> Principal? {
        guard let access else { return nil }
        let header = request.headers[.authorization].map { Substring($0) }
        return try await access.authorize(header, needed: Self.neededScopes(route, request.method), client: Self.client(of: request, context, access))
    }

    /// The spec's answer to a refused request: 401 with a challenge, 403 DENIED for a
    /// known user, or 429 TOOMANYREQUESTS with `Retry-After` for a throttled login.
    func refusal(_ failure: AuthFailure, _ request: Request, _ context: Context) async -> Response {
        guard let access else { return RegistryError(.unknown, "no access control").response(for: request.method) }
        return Self.refusal(failure, request, challenge: access.challenge(for: failure))
    }

    /// The response for `failure`, shared with the token endpoint: `challenge` goes into
    /// `WWW-Authenticate` on a 401.
    public static func refusal(_ failure: AuthFailure, _ request: Request, challenge: String) -> Response {
        let error: RegistryError
        switch failure.kind {
        case .denied: error = RegistryError(.denied, failure.reason)
        case .throttled: error = RegistryError(.tooManyRequests, failure.reason)
        default: error = RegistryError(.unauthorized, failure.reason)
        }
        var response = error.response(for: request.method)
        switch failure.kind {
        case .denied: break
        case .throttled: response.headers[.retryAfter] = failure.retryAfterSeconds.map(String.init)
        default: response.headers[.wwwAuthenticate] = challenge
        }
        return response
    }

    /// Whether a mount from `source` is allowed: the caller must be able to pull it.
    func mayMount(from source: RepositoryName?, _ principal: Principal?) -> Bool {
        guard let access, let principal else { return true }
        // Without `from`, the blob could come from a repository the caller cannot see.
        guard let source else { return false }
        return access.allows(principal, .repository(source.description, .pull))
    }

    /// The client's IP address, without the port, to count login attempts per client: the
    /// connection's, or what a trusted proxy (`http.trustedproxies`) says it was.
    public static func client(of request: Request, _ context: Context, _ access: AccessController) -> String {
        let peer = context.channel.remoteAddress.map { $0.ipAddress ?? $0.description } ?? "unknown"
        return access.trustedProxies.client(
            peer: peer,
            forwardedFor: request.headers[.xForwardedFor],
            forwarded: request.headers[.forwarded]
        )
    }
}
