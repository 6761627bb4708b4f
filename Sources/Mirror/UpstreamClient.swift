import AsyncHTTPClient
import Foundation
import Metrics
import Net
import NIOCore
import NIOHTTP1
import NIOSSL
import OCI
import Synchronization

/// Speaks the registry protocol to one upstream as a client would: Basic credentials, or
/// the Bearer challenge dance with the upstream's token service (tokens kept per scope
/// until they expire), redirects followed (blobs often live behind a CDN), and every
/// failure turned into an ``UpstreamError`` the mirror can decide by.
final class UpstreamClient: Sendable {
    let upstream: MirrorUpstream
    private let base: String
    private let http: OutboundClient
    /// `Authorization` values by scope, with when they stop being good.
    private let authorizations = Mutex<[String: (value: String, expires: ContinuousClock.Instant)]>([:])
    /// Until when the upstream counts as down after it could not be reached, so requests
    /// meanwhile are answered from the cache at once instead of each waiting out a
    /// connect timeout (a circuit breaker, as a proxy's `fail_timeout`).
    private let downUntil = Mutex<ContinuousClock.Instant?>(nil)
    /// How long an unreachable upstream is left alone before it is tried again.
    static let retryAfter = Duration.seconds(3)
    private let latency: Metrics.Timer
    private let errors: Counter

    /// Manifest types asked for, newest first: what the cache stores is what a client of
    /// any of them may pull.
    static let manifestTypes = [
        MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest,
    ]

    init(_ upstream: MirrorUpstream) throws {
        self.upstream = upstream
        base = upstream.remoteURL.hasSuffix("/") ? String(upstream.remoteURL.dropLast()) : upstream.remoteURL
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = upstream.caFile { tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(ca))] }
        if upstream.insecureSkipVerify { tls.certificateVerification = .none }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            // Followed here (``follow(_:from:method:accept:deadline:)``), so a redirect target
            // that fails (a CDN) is not taken for the upstream being down.
            redirectConfiguration: .disallow,
            // A read that stalls this long is an outage; a slow but moving blob is not.
            timeout: .init(connect: .seconds(5), read: .seconds(60))
        )
        configuration.httpVersion = .automatic
        // A refused connection is an outage now, not after the pool has retried it for the
        // whole connect timeout: the request is answered from the cache (or 503) at once,
        // and ``retryAfter`` keeps the next ones from trying again meanwhile.
        configuration.connectionPool.retryConnectionEstablishment = false
        http = OutboundClient(configuration: configuration)
        latency = Metrics.Timer(label: "pier_mirror_upstream_duration_seconds", dimensions: [("upstream", upstream.host)])
        errors = Counter(label: "pier_mirror_upstream_errors_total", dimensions: [("upstream", upstream.host)])
    }

    func shutdown() async {
        await http.shutdown()
    }

    /// Sends a request for `name` (pull scope) and answers the upstream's response once it
    /// is not a challenge; the caller reads or drains the body.
    /// - Parameter deadline: by when the upstream's response head must have arrived. The
    ///   body that follows is bounded only by the read timeout (60 s without a byte), so a
    ///   large blob that keeps moving is never cut for taking long; small answers
    ///   (manifests, lists) are bounded whole by ``within(_:_:)``.
    func send(_ method: HTTPMethod, _ path: String, for name: RepositoryName, accept: [String] = [], deadline: Duration) async throws(UpstreamError) -> HTTPClientResponse {
        if let until = downUntil.withLock({ $0 }), until > .now {
            throw UpstreamError(.unreachable, upstream: upstream.host, "not reachable a moment ago; tried again within \(Self.retryAfter)")
        }
        let scope = "repository:\(name.value):pull"
        var authorization = cachedAuthorization(scope)
        let started = ContinuousClock.now
        for attempt in 0..<2 {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            request.headers.add(name: "User-Agent", value: "pier-mirror")
            if !accept.isEmpty { request.headers.add(name: "Accept", value: accept.joined(separator: ", ")) }
            if let authorization { request.headers.add(name: "Authorization", value: authorization) }
            var response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: .nanoseconds(Int64(deadline.components.seconds) * 1_000_000_000))
            } catch {
                errors.increment()
                markDown()
                throw UpstreamError(.unreachable, upstream: upstream.host, "\(method) \(path): \(error)")
            }
            downUntil.withLock { $0 = nil }
            let origin = Self.origin(of: base)
            let answered = try await follow(
                response, from: base + path, method: method, accept: accept, authorization: authorization, to: origin, deadline: deadline
            )
            response = answered.response
            // Only the upstream's own challenge is answered: a 401 from where a redirect led
            // (a CDN) names a realm the upstream never vouched for, and answering it would
            // hand that realm the upstream's credentials. It is a plain failure instead.
            if response.status == .unauthorized, attempt == 0, let origin, Self.sameOrigin(answered.url, origin),
               let header = response.headers.first(name: "WWW-Authenticate"), let challenge = UpstreamChallenge(header) {
                _ = try? await response.body.collect(upTo: 64 * 1024)
                authorization = try await authorize(challenge, scope: scope)
                continue
            }
            let elapsed = ContinuousClock.now - started
            latency.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
            if response.status.code >= 500 || response.status.code == 429 { errors.increment() }
            return response
        }
        throw UpstreamError(.status(401), upstream: upstream.host, "credentials refused")
    }

    /// Runs `work` (a request and the reading of its answer) for at most the upstream's
    /// `timeout`, then cancels it, which stops its body being read and closes the
    /// connection. `send`'s deadline bounds only the response head, and the read timeout
    /// only the wait for each byte: an upstream trickling a manifest a few bytes a second
    /// held its fetch, and every client sharing it, for minutes. Past the deadline the
    /// upstream counts as down (an outage: a cached tag is served stale, and it is left
    /// alone for ``retryAfter``).
    func within<T: Sendable>(_ what: String, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = upstream.timeout
        let deadline = ContinuousClock.now + timeout
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            if let finished = try await group.next(), let value = finished { return value }
            errors.increment()
            markDown()
            throw UpstreamError(.unreachable, upstream: upstream.host, "\(what): no whole answer within \(timeout)")
        }
    }

    /// Follows up to five redirects of a GET or HEAD (blobs often live behind a CDN or a
    /// presigned store URL, a token service may move to https). `authorization` goes only
    /// to `origin` (the upstream's, or the token service's); a target that cannot be
    /// reached fails this request alone and leaves the upstream counted as up. Answers the
    /// last response with the URL that gave it, so a caller can tell who answered.
    private func follow(
        _ first: HTTPClientResponse, from url: String, method: HTTPMethod, accept: [String], authorization: String?,
        to origin: String?, deadline: Duration
    ) async throws(UpstreamError) -> (response: HTTPClientResponse, url: String) {
        var response = first
        var current = url
        for _ in 0..<5 {
            guard [301, 302, 303, 307, 308].contains(response.status.code), method == .GET || method == .HEAD,
                  let location = response.headers.first(name: "Location"),
                  let next = URL(string: location, relativeTo: URL(string: current))?.absoluteURL.absoluteString,
                  next.hasPrefix("http://") || next.hasPrefix("https://")
            else { return (response, current) }
            _ = try? await response.body.collect(upTo: 64 * 1024)
            var request = HTTPClientRequest(url: next)
            request.method = method
            request.headers.add(name: "User-Agent", value: "pier-mirror")
            if !accept.isEmpty { request.headers.add(name: "Accept", value: accept.joined(separator: ", ")) }
            if let authorization, let origin, Self.sameOrigin(next, origin) {
                request.headers.add(name: "Authorization", value: authorization)
            }
            do {
                response = try await http.execute(request, timeout: .nanoseconds(Int64(deadline.components.seconds) * 1_000_000_000))
            } catch {
                errors.increment()
                let target = URL(string: next)?.host ?? next
                throw UpstreamError(.unreachable, upstream: upstream.host, "\(method) redirected to \(target): \(error)")
            }
            current = next
        }
        return (response, current)
    }

    /// Whether `url` is within `origin`, or the same host moved from http to https (a
    /// realm's usual redirect): where credentials may go along.
    static func sameOrigin(_ url: String, _ origin: String) -> Bool {
        guard let target = Self.origin(of: url) else { return false }
        if target == origin { return true }
        guard let from = URLComponents(string: origin), let to = URLComponents(string: url) else { return false }
        return from.scheme == "http" && to.scheme?.lowercased() == "https" && from.host == to.host?.lowercased()
    }

    /// Scheme, host and port of `url`, lowercased: where credentials may go.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), let host = components.host?.lowercased() else {
            return nil
        }
        return "\(scheme)://\(host):\(components.port ?? (scheme == "https" ? 443 : 80))"
    }

    /// An error for a response that is not the success asked for (its body drained).
    func failure(_ response: HTTPClientResponse, _ what: String) async -> UpstreamError {
        let body = (try? await response.body.collect(upTo: 16 * 1024)) ?? ByteBuffer()
        let excerpt = String(buffer: body).prefix(200).replacingOccurrences(of: "\n", with: " ")
        return UpstreamError(
            .status(Int(response.status.code)), upstream: upstream.host, "\(what): \(response.status.code) \(excerpt)",
            codes: UpstreamError.codes(in: body.readableBytesView)
        )
    }

    /// Records that the upstream could not be reached (and, for a blob cut off mid-way,
    /// is called by the mirror too).
    func markDown() {
        downUntil.withLock { $0 = .now + Self.retryAfter }
    }

    private func cachedAuthorization(_ scope: String) -> String? {
        authorizations.withLock { entries in
            guard let entry = entries[scope] ?? entries["*"], entry.expires > .now else { return nil }
            return entry.value
        }
    }

    /// Answers a challenge: Basic with the configured credentials, or a token from the
    /// realm the Bearer challenge names (with the credentials when there are any,
    /// anonymously otherwise, as Docker Hub allows for public images).
    private func authorize(_ challenge: UpstreamChallenge, scope: String) async throws(UpstreamError) -> String {
        let basic = upstream.username.map { user in
            "Basic " + Data("\(user):\(upstream.password ?? "")".utf8).base64EncodedString()
        }
        switch challenge.scheme {
        case "basic":
            guard let basic else { throw UpstreamError(.status(401), upstream: upstream.host, "asks for credentials and none are configured") }
            authorizations.withLock { $0["*"] = (basic, .now + .seconds(24 * 3600)) }
            return basic
        case "bearer":
            guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm) else {
                throw UpstreamError(.invalid, upstream: upstream.host, "a Bearer challenge without a realm")
            }
            var query = components.queryItems ?? []
            if let service = challenge.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
            query.append(URLQueryItem(name: "scope", value: scope))
            components.queryItems = query
            guard let url = components.string else { throw UpstreamError(.invalid, upstream: upstream.host, "a realm that is no URL") }
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "User-Agent", value: "pier-mirror")
            if let basic { request.headers.add(name: "Authorization", value: basic) }
            let body: ByteBuffer
            let status: UInt
            do {
                var response = try await http.execute(request, timeout: .seconds(30))
                // A realm that moved (http to https, a trailing slash) is followed; the
                // credentials go along only within the realm's own origin.
                response = try await follow(response, from: url, method: .GET, accept: [], authorization: basic, to: Self.origin(of: url), deadline: .seconds(30)).response
                status = response.status.code
                body = try await response.body.collect(upTo: 1024 * 1024)
            } catch let error as UpstreamError {
                // A redirect target that failed: the token service's, not the upstream's.
                errors.increment()
                throw error
            } catch {
                errors.increment()
                markDown()
                throw UpstreamError(.unreachable, upstream: upstream.host, "token service \(realm): \(error)")
            }
            guard status == 200,
                  let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
                  let token = (object["token"] as? String) ?? (object["access_token"] as? String), !token.isEmpty
            else {
                let kind: UpstreamError.Kind = status == 200 ? .invalid : .status(Int(status) == 401 ? 403 : Int(status))
                throw UpstreamError(kind, upstream: upstream.host, "token service \(realm) answered \(status)")
            }
            // Tokens are good for `expires_in` (60 s when unsaid); renewed a little early.
            let lifetime = max(10, ((object["expires_in"] as? Int) ?? 60) - 5)
            let value = "Bearer " + token
            authorizations.withLock { entries in
                if entries.count > 10_000 { entries.removeAll() }
                entries[scope] = (value, .now + .seconds(lifetime))
            }
            return value
        default:
            throw UpstreamError(.invalid, upstream: upstream.host, "an unknown challenge scheme \(challenge.scheme)")
        }
    }
}
