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
        var request = request
        var bodyTally: CountingRequestBody.Tally?
        if Self.carriesBody(request.method) {
            let tally = CountingRequestBody.Tally()
            let declared = request.headers[.contentLength].flatMap { Int($0) }
            request.body = RequestBody(asyncSequence: CountingRequestBody(base: request.body, tally: tally, declared: declared))
            bodyTally = tally
        }
        var response = await dispatch(request, context, path: path, route: &route, user: &user)
        response.headers[.dockerDistributionAPIVersion] = "registry/2.0"
        // A blob is whatever bytes a pusher stored, served from the web UI's origin: with a
        // guessed type a page could load one as a script its policy allows ('self').
        if response.headers[.xContentTypeOptions] == nil, extraHeaders.isEmpty || extraHeaders[.xContentTypeOptions] == nil {
            response.headers[.xContentTypeOptions] = "nosniff"
        }
        if route == "blob" { response.headers[.contentSecurityPolicy] = "sandbox; default-src 'none'" }
        if !extraHeaders.isEmpty { response.headers.append(contentsOf: extraHeaders) }
        let outcome = Outcome(
            route: route, method: request.method, path: path, status: response.status.code,
            requestBody: bodyTally, responseLength: response.headers[.contentLength],
            userAgent: accessLog == nil ? nil : request.headers[.userAgent],
            client: accessLog == nil ? "-" : trustedProxies.client(
                peer: context.channel.remoteAddress?.ipAddress ?? "-",
                forwardedFor: request.headers[.xForwardedFor],
                forwarded: request.headers[.forwarded]
            ),
            user: user
        )
        // A streamed body (a blob, a relayed layer) is timed to its end: a 2.6 s pull was
        // logged at the 0.5 ms its head took, and one cut short with its full length. Bodies
        // in memory (manifests, JSON, errors) keep Hummingbird's one batched write and are
        // recorded now.
        guard request.method != .head, response.body.contentLength == nil else {
            Self.record(outcome, metrics: metrics, accessLog: accessLog, elapsed: ContinuousClock.now - start, sent: nil, failed: false)
            return response
        }
        let body = response.body
        let pending = ResponseRecord(outcome: outcome, metrics: metrics, accessLog: accessLog, start: start)
        response.body = ResponseBody { writer in
            let tally = CountingBodyWriter.Tally()
            do {
                try await body.write(CountingBodyWriter(base: writer, tally: tally))
            } catch {
                pending.finish(sent: tally.count, failed: true)
                throw error
            }
            pending.finish(sent: outcome.responseLength == nil ? tally.count : nil, failed: false)
        }
        return response
    }

    /// What the access log and the metrics say of one request, taken when its head was ready.
    struct Outcome: Sendable {
        var route: String
        var method: HTTPRequest.Method
        var path: Substring
        var status: Int
        /// What the request's body delivered, for the methods that carry one.
        var requestBody: CountingRequestBody.Tally?
        var responseLength: String?
        var userAgent: String?
        var client: String
        var user: String?
    }

    /// Logs and counts a request once its response ended.
    /// - Parameters:
    ///   - sent: the bytes a body sent when they are not its `Content-Length` (a body of
    ///     unannounced length, or one cut short; 0 there is not known to be none: bytes sent
    ///     around the writer are not counted).
    ///   - failed: the response ended before all of it was sent.
    static func record(_ outcome: Outcome, metrics: HTTPMetrics, accessLog: AccessLog?, elapsed: Duration, sent: Int?, failed: Bool) {
        // A body that ended before it was whole took its connection with it: the answer the
        // handler gave (400) never left. Recorded as nginx records it, 499, so a client
        // that goes away mid-upload is not counted as one it sent a bad request.
        let status = outcome.requestBody?.wasCut == true ? clientClosedRequest : outcome.status
        metrics.record(
            route: outcome.route,
            method: outcome.method.rawValue,
            status: status,
            duration: elapsed,
            bytesIn: outcome.requestBody?.count,
            bytesOut: outcome.method == .head ? nil : sent ?? outcome.responseLength.flatMap { Int($0) },
            aborted: failed
        )
        if let accessLog {
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            let length = sent.map { failed && $0 == 0 ? "-" : String($0) } ?? outcome.responseLength
            accessLog.record(
                method: outcome.method.rawValue,
                path: outcome.path,
                status: status,
                length: length,
                milliseconds: ms,
                userAgent: outcome.userAgent,
                client: outcome.client,
                user: outcome.user
            )
        }
    }

    /// nginx's status for a request whose client closed the connection before it was answered.
    static let clientClosedRequest = 499

    /// The methods whose bodies the handlers read, and so are counted as they are read.
    static func carriesBody(_ method: HTTPRequest.Method) -> Bool {
        method == .put || method == .post || method == .patch
    }

    /// What is wrong with the host a request names, nil when nothing is (RFC 9112 §3.2: a
    /// server must answer 400 to a `Host` that is not a host, or to several). The URLs the
    /// server hands out are built from it. A request without one, or with an empty one (as
    /// Go accepts it), is let through: HTTP/1.0 and health checkers send none, and URLs are
    /// then relative.
    static func hostProblem(_ request: Request) -> String? {
        guard let authority = request.head.authority, !authority.isEmpty else { return nil }
        guard URLAuthority.isValid(Substring(authority)) else { return "\(authority.prefix(100)) is not a host" }
        // The first `Host` is the authority; another that differs leaves the host ambiguous
        // (over HTTP/2 a `host` equal to `:authority` but for case is allowed, RFC 9113 §8.3.1).
        for field in request.headers[fields: hostField] where field.value.lowercased() != authority.lowercased() {
            return "more than one Host"
        }
        return nil
    }

    private static let hostField = HTTPField.Name.registryField("Host")

    /// A transfer coding other than `chunked`, which the HTTP parser frames the body by but
    /// does not undo (`gzip, chunked` arrives as gzip bytes): RFC 9112 §6.1 asks for a 501,
    /// as distribution answers, not a blob stored in a coding its pusher did not mean.
    static func unknownTransferCoding(_ request: Request) -> String? {
        guard let codings = request.headers[.transferEncoding] else { return nil }
        for coding in codings.split(separator: ",") where !coding.trimmingOptionalWhitespace.lowercased().elementsEqual("chunked") {
            return String(coding.trimmingOptionalWhitespace)
        }
        return nil
    }

    /// ACME and the token server live at their own absolute paths, outside `http.prefix`;
    /// everything else is the registry API's to answer (or refuse with the spec's 404).
    private func dispatch(_ request: Request, _ context: Context, path: Substring, route: inout String, user: inout String?) async -> Response {
        if let problem = Self.hostProblem(request) {
            route = "bad-host"
            return RegistryError(.requestInvalid, "invalid Host header", detail: problem, status: 400).response(for: request.method)
        }
        if let coding = Self.unknownTransferCoding(request) {
            route = "bad-coding"
            return RegistryError(.unsupported, "transfer coding not implemented", detail: "\(coding.prefix(100))", status: 501)
                .response(for: request.method)
        }
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
