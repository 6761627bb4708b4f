public import AsyncHTTPClient
import Net
import Foundation
public import NIOCore
import NIOHTTP1
import NIOSSL
import Storage

/// Signed requests to one bucket of an S3-compatible store, with the retries and timeouts
/// a registry needs: a store that blips is retried with backoff, a store that is down
/// becomes ``StorageError/unavailable(_:reason:)`` (503 to the client) within seconds
/// rather than a hung request.
public final class S3Client: Sendable {
    /// Where the bucket is and how to reach it.
    public struct Endpoint: Sendable, Equatable {
        /// `http` or `https`.
        public var scheme: String
        /// Host and port as they go into the URL and the signed `host` header.
        public var authority: String
        public var bucket: String
        /// `/bucket/key` (MinIO, SeaweedFS, most self-hosted stores) rather than
        /// `bucket.host/key` (AWS's default).
        public var pathStyle: Bool

        public init(scheme: String, authority: String, bucket: String, pathStyle: Bool) {
            self.scheme = scheme
            self.authority = authority
            self.bucket = bucket
            self.pathStyle = pathStyle
        }

        /// The host that serves the bucket.
        var host: String { pathStyle ? authority : bucket + "." + authority }

        /// The encoded path of `key` (or of the bucket when nil).
        func path(_ key: String?) -> String {
            let encoded = key.map { SignatureV4.encode($0, keepSlash: true) } ?? ""
            return pathStyle ? "/" + bucket + "/" + encoded : "/" + encoded
        }
    }

    public let endpoint: Endpoint
    /// The keys each request is signed with, asked for per request: role keys are renewed
    /// while Pier runs.
    public let credentials: any S3CredentialSource
    /// The region requests are signed for, which the store checks against its own.
    public let region: String
    let http: OutboundClient
    /// Attempts per request: the first and three retries, 100 ms, 400 ms and 1.6 s apart.
    let attempts: Int
    /// For the connections large bodies are read over (``streamObject(key:headers:into:)``);
    /// nil for a plain-HTTP store.
    let streamingTLS: NIOSSLContext?
    /// Whether large bodies may be read over connections of their own: not through an
    /// outbound proxy, which only the pooled client speaks.
    let streams: Bool

    /// A client signing with static keys (the signer's service is S3's whatever it names).
    public convenience init(endpoint: Endpoint, signer: SignatureV4, skipVerify: Bool = false, attempts: Int = 4) {
        self.init(endpoint: endpoint, credentials: signer.credentials, region: signer.region, skipVerify: skipVerify, attempts: attempts)
    }

    /// - Parameters:
    ///   - credentials: asked for the keys of every request, so renewed keys take effect at once.
    ///   - skipVerify: accept any certificate from an https store (`storage.s3.skipverify`).
    ///   - attempts: tries per request, the first included.
    public init(endpoint: Endpoint, credentials: any S3CredentialSource, region: String, skipVerify: Bool = false, attempts: Int = 4) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.region = region
        self.attempts = max(1, attempts)
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        configuration.httpVersion = .http1Only
        configuration.decompression = .disabled
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool = .init(idleTimeout: .seconds(50), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        // This client retries with its own backoff; the pool's would keep a refused
        // connection retrying until the request's deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        var tls = TLSConfiguration.makeClientConfiguration()
        if skipVerify {
            tls.certificateVerification = .none
            configuration.tlsConfiguration = tls
        }
        streamingTLS = endpoint.scheme == "https" ? try? NIOSSLContext(configuration: tls) : nil
        http = OutboundClient(configuration: configuration)
        streams = http.proxy(for: endpoint.scheme + "://" + endpoint.host + "/") == nil
    }

    /// Closes the connection pool; the client is unusable afterwards.
    public func shutdown() async {
        await http.shutdown()
    }

    /// A response whose body has not been read yet.
    public struct Response: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: HTTPClientResponse.Body

        /// The whole body, for the small XML documents S3 answers with. A body that breaks
        /// off is the store failing, not an empty answer.
        public func text(limit: Int = 16 << 20) async throws -> String {
            do {
                let buffer = try await body.collect(upTo: limit)
                return String(buffer: buffer)
            } catch let error as StorageError {
                throw error
            } catch {
                throw StorageError.unavailable("response body", reason: "\(error)")
            }
        }
    }

    /// Sends one signed request, retrying connection failures and 5xx answers.
    /// - Parameters:
    ///   - key: the object key, or nil for a bucket-level request (listing).
    ///   - body: the whole body; bodies are at most one part, so they can be sent again.
    ///   - timeout: for the response head; a streamed body is bounded by the read timeout.
    ///   - tries: attempts for this request instead of the client's (1 for a check that must
    ///     answer within its own deadline rather than wait out the retries).
    public func send(
        _ method: HTTPMethod,
        key: String?,
        query: [(String, String)] = [],
        headers extra: [(String, String)] = [],
        body: ByteBuffer? = nil,
        timeout: TimeAmount = .seconds(10),
        tries: Int? = nil
    ) async throws -> Response {
        let what = key ?? endpoint.bucket
        var lastFailure = ""
        let started = ContinuousClock.now
        // All attempts of a small request together stay within the retry budget (a store
        // that hangs answered reads after 20 s, past what a client or balancer waits);
        // a longer one keeps its own deadline and five seconds for a retry.
        let budget = max(TimeAmount.seconds(15), timeout + .seconds(5))
        for attempt in 0..<max(1, tries ?? attempts) {
            guard try await pause(before: attempt, since: started) else { break }
            let left = budget - TimeAmount(ContinuousClock.now - started)
            guard left > .milliseconds(100) else { break }
            let request = signed(method, key: key, query: query, headers: extra, body: body, signer: try await signer())
            do {
                let response = try await http.execute(request, timeout: min(timeout, left))
                let status = Int(response.status.code)
                if Self.isPassing(status: status) {
                    let body = (try? await response.body.collect(upTo: 1 << 20)).map { String(buffer: $0) } ?? ""
                    lastFailure = Self.reason(status: status, body: body)
                    StorageAttempts.failed?("\(method.rawValue) \(what): \(lastFailure)")
                    continue
                }
                return Response(status: status, headers: response.headers, body: response.body)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastFailure = "\(error)"
                StorageAttempts.failed?("\(method.rawValue) \(what): \(lastFailure)")
            }
        }
        throw StorageError.unavailable(what, reason: "\(method) failed after \(ContinuousClock.now - started), last: \(lastFailure)")
    }

    /// Whether an answer is a failure worth another attempt: the store's passing trouble
    /// (5xx, 429 SlowDown), not 501, which says the store cannot do what was asked (a store
    /// without a KMS asked to encrypt, an operation it lacks) and is reported at once.
    static func isPassing(status: Int) -> Bool {
        status >= 500 && status != 501 || status == 429
    }

    /// What an S3 error answer says, on one line: its status, and its `Code` and `Message`
    /// when it has them, so a failure that outlasts the retries names its cause.
    static func reason(status: Int, body: String) -> String {
        let xml = S3XML(body)
        let said = [xml.value("Code"), xml.value("Message")].compactMap { $0 }.joined(separator: " ")
        let line = String(said.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) }.prefix(300))
        return line.isEmpty ? "HTTP \(status)" : "HTTP \(status) \(line)"
    }

    /// A request head signed for this store, whatever carries it: the path with its query,
    /// and every header but `host`.
    struct SignedHead {
        var target: String
        var headers: [(String, String)]
    }

    /// The signer for a request sent now.
    /// - Throws: ``StorageError/unavailable(_:reason:)`` when there are no keys to sign with.
    func signer() async throws -> SignatureV4 {
        SignatureV4(credentials: try await credentials.credentials(), region: region)
    }

    func signedHead(
        _ method: HTTPMethod, key: String?, query: [(String, String)], headers extra: [(String, String)], hasBody: Bool, signer: SignatureV4
    ) -> SignedHead {
        let path = endpoint.path(key)
        let amzDate = SignatureV4.amzDate(Date())
        // The body is not hashed: TLS (or the loopback) protects it in transit, and every
        // blob is verified against its digest before it is committed.
        let payloadHash = hasBody ? SignatureV4.unsignedPayload : SignatureV4.emptyPayloadHash
        var headers: [(String, String)] = [
            ("host", endpoint.host),
            ("x-amz-date", amzDate),
            ("x-amz-content-sha256", payloadHash),
        ]
        if let token = signer.credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        headers += extra.filter { $0.0.lowercased().hasPrefix("x-amz-") || $0.0.lowercased() == "content-md5" }
        let authorization = signer.authorization(
            SignatureV4.Request(method: method.rawValue, path: path, query: query, headers: headers, payloadHash: payloadHash),
            amzDate: amzDate
        )
        var target = path
        if !query.isEmpty {
            target += "?" + query.map { SignatureV4.encode($0.0) + "=" + SignatureV4.encode($0.1) }.joined(separator: "&")
        }
        var sent = headers.filter { $0.0 != "host" }
        sent += extra.filter { !$0.0.lowercased().hasPrefix("x-amz-") && $0.0.lowercased() != "content-md5" }
        sent.append(("authorization", authorization))
        return SignedHead(target: target, headers: sent)
    }

    /// Waits before retry `attempt` (100 ms, 400 ms, 1.6 s); false when retrying is no
    /// longer worth it. A store that hangs rather than refuses gets one more chance, not
    /// three: the client waiting on the request would give up first.
    func pause(before attempt: Int, since started: ContinuousClock.Instant) async throws -> Bool {
        guard attempt > 0 else { return true }
        if ContinuousClock.now - started > .seconds(15) { return false }
        try await Task.sleep(for: .milliseconds(100 << (2 * (attempt - 1))))
        return true
    }

    func signed(
        _ method: HTTPMethod, key: String?, query: [(String, String)], headers extra: [(String, String)], body: ByteBuffer?, signer: SignatureV4
    ) -> HTTPClientRequest {
        let head = signedHead(method, key: key, query: query, headers: extra, hasBody: body != nil, signer: signer)
        var request = HTTPClientRequest(url: endpoint.scheme + "://" + endpoint.host + head.target)
        request.method = method
        for (name, value) in head.headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
            request.body = .bytes(body)
        } else if method == .PUT || method == .POST {
            request.headers.replaceOrAdd(name: "content-length", value: "0")
        }
        return request
    }

    /// A URL anyone may GET `key` from until it expires, for `storage.redirect`.
    /// Signed with keys that may expire before the URL does (a role's): S3 refuses it from
    /// then on, and the client asks Pier again.
    public func presignedURL(_ key: String, expires: Int, now: Date = Date()) async throws -> String {
        let path = endpoint.path(key)
        let query = try await signer().presignedQuery(method: "GET", host: endpoint.host, path: path, date: now, expires: expires)
        return endpoint.scheme + "://" + endpoint.host + path + "?"
            + query.map { SignatureV4.encode($0.0) + "=" + SignatureV4.encode($0.1) }.joined(separator: "&")
    }

    /// Turns an unexpected answer into an error naming S3's code and message.
    /// Refused credentials (a rotated key, an expired session token) are the server's
    /// problem, not the client's: they answer 503 like a store that is down.
    public func failure(_ response: Response, _ operation: String, _ key: String) async -> StorageError {
        failure(status: response.status, text: (try? await response.text(limit: 64 << 10)) ?? "", operation, key)
    }

    /// The same for an answer whose body has been read already.
    func failure(status: Int, text: String, _ operation: String, _ key: String) -> StorageError {
        let xml = S3XML(text)
        let code = xml.value("Code") ?? "HTTP \(status)"
        var message = xml.value("Message") ?? ""
        // Named, as the store's message does not: with several registries, or a bucket
        // name from a variable, which bucket is missing is the first question. The bucket
        // only: this text reaches clients in the error's detail, and the store's address
        // is the operator's (the start's check logs it).
        if code == "NoSuchBucket" { message += " (bucket '\(endpoint.bucket)')" }
        let reason = "\(operation): \(code) \(message)".trimmingCharacters(in: .whitespaces)
        if status == 401 || status == 403 {
            return StorageError.unavailable(key, reason: reason)
        }
        return StorageError.store(key, operation: operation, reason: reason)
    }
}
