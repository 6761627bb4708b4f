import ACME
import Auth
import Hummingbird
import HTTPTypes
import IndexAPI
import OCI
import RegistryAPI
import Web

/// The one responder a listener has: it sends each request to its door (ACME's http-01
/// answers, the token server, the registry API under `/v2/`, and what later doors add
/// under `/api/` and `/`), and wraps every door in the same outer layer: the API version
/// header, configured headers, metrics and the access log.
struct FrontDispatcher: HTTPResponder {
    typealias Context = PierRequestContext

    let registryAPI: RegistryResponder
    /// Pier's token server (`tokenserver`), answering on its realm's path.
    let tokenEndpoint: TokenEndpoint?
    /// The index's API (`/api/v1/`, `/v1/search`); nil when the index is off.
    let indexAPI: IndexResponder?
    /// The web UI (`/`, `/search`, `/r/…`); nil when it is off.
    var web: WebResponder? = nil
    /// http-01 answers while ACME validates this host.
    let acmeChallenges: HTTP01Challenges?
    let accessLog: AccessLog?
    /// Whose forwarding header names the client in the access log (`http.trustedproxies`).
    var trustedProxies = TrustedProxies.none
    /// distribution's `health` checks: while one fails, every request but ACME's gets 503.
    var health: HealthMonitor? = nil
    /// `http.headers`, added to every response.
    let extraHeaders: HTTPFields
    let metrics = HTTPMetrics()

    func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        var route = "unknown"
        var user: String?
        let path = request.pathWithoutQuery
        var response = await dispatch(request, context, path: path, route: &route, user: &user)
        response.headers[.dockerDistributionAPIVersion] = "registry/2.0"
        if !extraHeaders.isEmpty { response.headers.append(contentsOf: extraHeaders) }
        let elapsed = ContinuousClock.now - start
        metrics.record(
            route: route,
            method: request.method.rawValue,
            status: response.status.code,
            duration: elapsed,
            bytesIn: request.headers[.contentLength].flatMap { Int($0) },
            bytesOut: request.method == .head ? nil : response.headers[.contentLength].flatMap { Int($0) }
        )
        if let accessLog {
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            accessLog.record(
                method: request.method.rawValue,
                path: path,
                status: response.status.code,
                length: response.headers[.contentLength],
                milliseconds: ms,
                userAgent: request.headers[.userAgent],
                client: trustedProxies.client(
                    peer: context.channel.remoteAddress?.ipAddress ?? "-",
                    forwardedFor: request.headers[.xForwardedFor],
                    forwarded: request.headers[.forwarded]
                ),
                user: user
            )
        }
        return response
    }

    /// ACME and the token server live at their own absolute paths, outside `http.prefix`;
    /// everything else is the registry API's to answer (or refuse with the spec's 404).
    private func dispatch(_ request: Request, _ context: Context, path: Substring, route: inout String, user: inout String?) async -> Response {
        if let acmeChallenges, let response = acmeChallenges.response(to: request) {
            route = "acme"
            return response
        }
        if let health, !health.isHealthy {
            route = "unhealthy"
            return RegistryError(.unavailable, "service unavailable", detail: "health check failed: please see /debug/health")
                .response(for: request.method)
        }
        if let tokenEndpoint, path.utf8.elementsEqual(tokenEndpoint.path.utf8) {
            route = "token"
            do {
                return try await tokenEndpoint.respond(to: request, context: context)
            } catch {
                return await registryAPI.errorResponse(error, to: request, context: context)
            }
        }
        if let indexAPI, indexAPI.handles(path) {
            route = "index"
            return await indexAPI.respond(to: request, context: context, route: &route, user: &user)
        }
        if let web, web.handles(path) {
            route = "web"
            return await web.respond(to: request, context: context, route: &route, user: &user)
        }
        return await registryAPI.respond(to: request, context: context, route: &route, user: &user)
    }
}
