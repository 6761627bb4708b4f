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
        return try await access.authorize(header, needed: Self.neededScopes(route, request.method), client: Self.clientAddress(context.channel))
    }

    /// The spec's answer to a refused request: 401 with a challenge, or 403 DENIED for a
    /// known user. A client that keeps failing waits before it hears back.
    func refusal(_ failure: AuthFailure, _ request: Request, _ context: Context) async -> Response {
        guard let access else { return RegistryError(.unknown, "no access control").response(for: request.method) }
        if failure.kind == .invalidCredentials || failure.kind == .invalidToken {
            access.throttle.recordFailure(from: Self.clientAddress(context.channel))
        }
        let error = failure.kind == .denied
            ? RegistryError(.denied, failure.reason)
            : RegistryError(.unauthorized, failure.reason)
        var response = error.response(for: request.method)
        if failure.kind != .denied {
            response.headers[.wwwAuthenticate] = access.challenge(for: failure)
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

    /// The remote IP address, without the port, to count failures per client.
    public static func clientAddress(_ channel: any Channel) -> String {
        guard let address = channel.remoteAddress else { return "unknown" }
        return address.ipAddress ?? address.description
    }
}
