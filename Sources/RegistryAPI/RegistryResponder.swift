import Auth
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import OCI
import Registry
import Storage

/// Answers the `/v2/` API: parses the route, authorizes, calls the ``ContentStore`` and
/// turns its results and errors into the spec's responses.
///
/// It is a plain `HTTPResponder` rather than a router: repository names contain slashes,
/// and parsing the path once by hand keeps the hot paths (manifest HEAD, blob GET) free of
/// per-request router work. The server's front dispatcher calls
/// ``respond(to:context:route:)`` and wraps every door in one outer layer (metrics, the
/// access log, configured headers); used alone, as in tests, it is a responder of its own.
public struct RegistryResponder: HTTPResponder {
    public typealias Context = PierRequestContext

    /// How URLs and pages are shaped (`http.prefix`, `http.host`, `http.relativeurls`,
    /// `catalog.maxentries`) and how blob bytes may be sent on this listener.
    public struct Settings: Sendable {
        /// `http.prefix`: the path every route is under.
        public var pathPrefix = ""
        /// `http.host`: the scheme and host of `Location` headers, whatever the request said.
        public var externalURL: String?
        /// `http.relativeurls`: `Location` headers without scheme and host.
        public var relativeURLs = false
        /// `catalog.maxentries`: the largest catalog page.
        public var catalogMaxEntries = 1000
        /// Whether blob bytes may go to the socket past the HTTP encoder (plain-HTTP listeners
        /// only; see ``DirectBodyHandler``).
        public var directBodies = false
        /// The scheme of this listener, for absolute URLs when no proxy says otherwise.
        public var scheme = "http"

        /// The defaults are distribution's.
        public init(
            pathPrefix: String = "", externalURL: String? = nil, relativeURLs: Bool = false,
            catalogMaxEntries: Int = 1000, directBodies: Bool = false, scheme: String = "http"
        ) {
            self.pathPrefix = pathPrefix
            self.externalURL = externalURL
            self.relativeURLs = relativeURLs
            self.catalogMaxEntries = catalogMaxEntries
            self.directBodies = directBodies
            self.scheme = scheme
        }
    }

    /// The content behind the API: the local registry, or a mirror wrapping it.
    let registry: any ContentStore
    let logger: Logger
    let settings: Settings
    let metrics = RegistryMetrics()
    var catalogMaxEntries: Int { settings.catalogMaxEntries }
    /// Sends blob bodies: by `sendfile` or copy on plain HTTP, streamed on TLS.
    var blobSender: BlobSender { BlobSender(directBodies: settings.directBodies, logger: logger, storageErrors: metrics.storageErrors) }
    /// Authentication and access policy (`auth`, `access`); nil lets everyone in.
    let access: AccessController?

    /// The API over `registry`, guarded by `access` when authentication is configured.
    public init(
        registry: any ContentStore,
        logger: Logger,
        settings: Settings = Settings(),
        access: AccessController? = nil
    ) {
        self.access = access
        self.registry = registry
        self.logger = logger
        self.settings = settings
    }

    /// Who is asking, for the events the registry publishes; only as much as the
    /// subscribers read, so the hot paths pay nothing for details nobody wants.
    func origin(_ request: Request, _ context: Context) -> RequestOrigin {
        switch registry.eventDetail {
        case .none: return RequestOrigin()
        case .actor: return RequestOrigin(actor: context.userName)
        case .links: return RequestOrigin(actor: context.userName, linkBase: url(request, ""))
        case .full: break
        }
        return RequestOrigin(
            actor: context.userName,
            address: Self.eventAddress(request, context),
            host: request.head.authority ?? "",
            method: request.method.rawValue,
            userAgent: request.headers[.userAgent] ?? "",
            linkBase: url(request, "")
        )
    }

    /// The client's address as distribution's events name it (`request.addr`), which
    /// receivers parse: the first `X-Forwarded-For` entry, else `X-Real-Ip` (each only when
    /// it is an IP address), else the peer's `host:port`, an IPv6 host in brackets.
    static func eventAddress(_ request: Request, _ context: Context) -> String {
        func address(_ value: Substring?) -> String? {
            guard let text = value?.trimmingCharacters(in: .whitespaces), !text.isEmpty,
                  (try? SocketAddress(ipAddress: text, port: 0)) != nil
            else { return nil }
            return text
        }
        if let forwarded = address(request.headers[.xForwardedFor]?.split(separator: ",", omittingEmptySubsequences: false).first) {
            return forwarded
        }
        if let real = address(request.headers[.xRealIP].map { Substring($0) }) { return real }
        guard let peer = context.channel.remoteAddress else { return "" }
        guard var ip = peer.ipAddress, let port = peer.port else { return peer.pathname ?? "" }
        // An IPv4 client of a dual-stack listener (`:5000`) is named as IPv4, as Go names it.
        if ip.lowercased().hasPrefix("::ffff:"), ip.contains(".") { ip = String(ip.dropFirst(7)) }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// Answers a request on its own, with the API version header the outer layer would add.
    public func respond(to request: Request, context: Context) async throws -> Response {
        var route = ""
        var user: String?
        var response = await respond(to: request, context: context, route: &route, user: &user)
        response.headers[.dockerDistributionAPIVersion] = "registry/2.0"
        return response
    }

    /// Answers a `/v2/` request, every failure turned into the spec's error response.
    /// - Parameters:
    ///   - routeName: set to the endpoint's low-cardinality name, for metrics.
    ///   - user: set to the authenticated user's name once the request is let in, for the
    ///     access log (who pushed or deleted what).
    public func respond(to request: Request, context: Context, route routeName: inout String, user: inout String?) async -> Response {
        do {
            return try await dispatch(request, context, route: &routeName, user: &user)
        } catch {
            return await errorResponse(error, to: request, context: context)
        }
    }

    /// The spec's answer to a failure, for this API and any door beside it (the token
    /// endpoint), so both map errors the same way: a ``RegistryError`` as it says, a refused
    /// credential as 401 with a challenge (or 403), an unreachable store as 503, anything
    /// else as 500 `UNKNOWN`.
    public func errorResponse(_ error: any Error, to request: Request, context: Context) async -> Response {
        switch error {
        case let error as RegistryError:
            return error.response(for: request.method)
        case let failure as AuthFailure:
            return await refusal(failure, request, context)
        case StorageError.unavailable(let path, let reason):
            metrics.storageErrors.increment()
            logger.error("storage unavailable", metadata: ["reason": "\(reason)", "path": "\(path)"])
            return RegistryError(.unavailable, "storage is unavailable, try again later").response(for: request.method)
        case StorageError.io(let path, let operation, let errno) where errno == ENOSPC || errno == EDQUOT:
            // 507 Insufficient Storage: the client may retry once space is freed; nothing
            // of the request became visible.
            metrics.storageErrors.increment()
            logger.error("storage is full", metadata: ["operation": "\(operation)", "path": "\(path)"])
            return RegistryError(.unknown, "the registry's storage is full", status: 507).response(for: request.method)
        default:
            metrics.storageErrors.increment()
            logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return RegistryError(.unknown, "internal error", detail: "\(error)").response(for: request.method)
        }
    }

    private func dispatch(_ request: Request, _ context: Context, route routeName: inout String, user: inout String?) async throws -> Response {
        var path = request.pathWithoutQuery
        if !settings.pathPrefix.isEmpty {
            guard path.hasPrefix(settings.pathPrefix) else {
                throw RegistryError(.unsupported, "no such endpoint", detail: String(path.prefix(200)), status: 404)
            }
            path = path.dropFirst(settings.pathPrefix.count)
        }
        if path == "/" || path.isEmpty {
            // distribution answers its root with an empty 200, which health checks rely on.
            routeName = "root"
            return Response(status: .ok, headers: [.cacheControl: "no-cache", .contentLength: "0"])
        }
        guard let route = try RegistryRoute.parse(path) else {
            throw RegistryError(.unsupported, "no such endpoint", detail: String(path.prefix(200)), status: 404)
        }
        let method = request.method
        routeName = route.metricName
        if method == .options {
            // Answered before authentication, as a browser's cross-origin preflight carries no
            // credentials; it tells only which methods the endpoint has, the same for every
            // repository, present, private or missing.
            return Self.empty(.ok, headers: [.allow: route.allowedMethods])
        }
        let principal = try await authorize(request, route, context)
        var context = context
        context.userName = principal?.identity.userName
        user = context.userName
        let uploading = route.isUpload && method != .get && method != .head
        if uploading { metrics.uploadsInProgress.increment() }
        defer { if uploading { metrics.uploadsInProgress.decrement() } }
        do {
            switch route {
            case .base:
                guard method == .get || method == .head else { return Self.methodNotAllowed(route, method) }
                return Self.json(#"{}"#, method: method)
            case .catalog:
                guard method == .get || method == .head else { return Self.methodNotAllowed(route, method) }
                return try await catalog(request, principal)
            case .tags(let name):
                guard method == .get || method == .head else { return Self.methodNotAllowed(route, method) }
                return try await tags(request, name)
            case .manifest(let name, let reference):
                // Only a PUT names a reference to create, so only a PUT of one that is no valid
                // tag or digest is the client's error (400); any other method asks for something
                // that cannot exist, which is unknown (404), as distribution's routes answer.
                let parsed = Reference(reference)
                guard method == .put || parsed != nil else {
                    throw RegistryError.manifestUnknown(reference.prefix(200))
                }
                let reference = try parsed ?? Self.reference(reference)
                switch method {
                case .get, .head: return try await getManifest(request, name, reference, context)
                case .put: return try await putManifest(request, name, reference, context)
                case .delete: return try await deleteManifest(request, name, reference, context)
                default: return Self.methodNotAllowed(route, method)
                }
            case .blob(let name, let digest):
                let digest = try Self.digest(digest)
                switch method {
                case .get, .head: return try await getBlob(request, name, digest, context)
                case .delete: return try await deleteBlob(request, name, digest, context)
                default: return Self.methodNotAllowed(route, method)
                }
            case .uploads(let name):
                guard method == .post else { return Self.methodNotAllowed(route, method) }
                return try await startUpload(request, name, context, principal)
            case .upload(let name, let id):
                guard let id = UploadID(id) else { throw RegistryError.uploadUnknown(id) }
                switch method {
                case .get, .head: return try await uploadStatus(request, name, id)
                case .patch: return try await patchUpload(request, name, id)
                case .put: return try await completeUpload(request, name, id, context)
                case .delete: return try await cancelUpload(name, id)
                default: return Self.methodNotAllowed(route, method)
                }
            case .referrers(let name, let digest):
                guard method == .get || method == .head else { return Self.methodNotAllowed(route, method) }
                return try await referrers(request, name, try Self.digest(digest))
            }
        } catch let error as RegistryError where error.status == 405 {
            // A write this registry refuses by configuration (read-only, deletes off, a
            // mirrored repository). RFC 9110 asks for `Allow` on every 405; it names the
            // methods the refusal leaves working (never the refused one itself): with
            // deletes off every other method, else those that read.
            var response = error.response(for: method)
            let working = error == .deletesDisabled ? route.allowedMethods : route.readMethods
            response.headers[.allow] = working.split(separator: ", ").filter { $0 != method.rawValue }.joined(separator: ", ")
            return response
        }
    }

    // MARK: shared helpers

    /// 405 `UNSUPPORTED` with the `Allow` header RFC 9110 requires of every 405, so a
    /// client can tell a wrong method from a refused one.
    static func methodNotAllowed(_ route: RegistryRoute, _ method: HTTPRequest.Method) -> Response {
        var response = RegistryError(.unsupported, "method not allowed on this endpoint").response(for: method)
        response.headers[.allow] = route.allowedMethods
        return response
    }

    static func digest(_ string: some StringProtocol) throws(RegistryError) -> Digest {
        guard let digest = Digest(string) else {
            throw RegistryError.digestInvalid("invalid digest", detail: String(string.prefix(200)))
        }
        return digest
    }

    static func reference(_ string: String) throws(RegistryError) -> Reference {
        guard let reference = Reference(string) else {
            if string.contains(":") { throw RegistryError.digestInvalid("invalid digest", detail: String(string.prefix(200))) }
            throw RegistryError(.tagInvalid, "invalid tag", detail: String(string.prefix(200)))
        }
        return reference
    }

    /// A JSON body with its length (none on HEAD).
    public static func json(_ text: String, method: HTTPRequest.Method, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return body(ByteBuffer(string: text), method: method, status: status, headers: headers)
    }

    /// A body with its length (none on HEAD, whose length still tells the size).
    public static func body(_ buffer: ByteBuffer, method: HTTPRequest.Method, status: HTTPResponse.Status = .ok, headers: HTTPFields) -> Response {
        var headers = headers
        headers[.contentLength] = String(buffer.readableBytes)
        if method == .head { return Response(status: status, headers: headers) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    /// 304 Not Modified for content the client holds: the headers a 200 would carry that
    /// say what it is, and no body or length (RFC 9110 §15.4.5).
    static func notModified(_ headers: HTTPFields) -> Response {
        var headers = headers
        headers[.contentLength] = nil
        headers[.contentType] = nil
        return Response(status: .notModified, headers: headers)
    }

    /// An empty response with an explicit zero length, as clients expect on 201/202/204.
    static func empty(_ status: HTTPResponse.Status, headers: HTTPFields) -> Response {
        var headers = headers
        if status != .noContent { headers[.contentLength] = "0" }
        return Response(status: status, headers: headers)
    }

    /// The URL for `path` in a `Location` header: relative with `http.relativeurls`, under
    /// `http.host` when set, otherwise as the client reached us (Host, and X-Forwarded-* from
    /// a proxy), as distribution builds them.
    func url(_ request: Request, _ path: String) -> String {
        let path = settings.pathPrefix + path
        if settings.relativeURLs { return path }
        if let external = settings.externalURL { return external + path }
        // RFC 7239's `Forwarded` (what a proxy sends that sends no X-Forwarded-*), first
        // element: the proxy nearest the client.
        let forwarded = request.headers[.forwarded].map(Self.firstForwardedElement) ?? [:]
        // A proxy's header that is no host (or scheme) is passed over, as a bad `Forwarded`
        // element is: the URL would otherwise point wherever its text said.
        let host = URLAuthority.firstElement(of: request.headers[.xForwardedHost], URLAuthority.isValid)
            ?? forwarded["host"] ?? request.head.authority
        guard let host, !host.isEmpty else { return path }
        let scheme = URLAuthority.firstElement(of: request.headers[.xForwardedProto], URLAuthority.isValidScheme)
            ?? forwarded["proto"] ?? settings.scheme
        return "\(scheme)://\(host)\(path)"
    }

    /// The parameters of a `Forwarded` header's first element (`for=…;proto=https;host=…`),
    /// names lowercased, quotes taken off values.
    static func firstForwardedElement(_ header: String) -> [String: String] {
        var parameters = [String: String]()
        let element = header.split(separator: ",", maxSplits: 1).first ?? ""
        for pair in element.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            var value = parts[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            // A host or scheme is a plain token: anything else is no address to send clients to.
            guard !value.isEmpty, !value.contains(where: { "/\\@?#".contains($0) || $0.isWhitespace }) else { continue }
            parameters[parts[0].trimmingCharacters(in: .whitespaces).lowercased()] = value
        }
        return parameters
    }

    /// Parses the `n` query parameter: absent → nil; negative or not a number → 400.
    static func pageSize(_ request: Request) throws(RegistryError) -> Int? {
        guard let raw = request.uri.queryParameters["n"] else { return nil }
        guard let n = Int(raw), n >= 0 else {
            throw RegistryError(.paginationNumberInvalid, "invalid number of results requested", detail: String(raw.prefix(50)))
        }
        return n
    }

    /// Reads a request body whole, refusing more than `limit` bytes with 413.
    static func collect(_ request: Request, limit: Int) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw RegistryError.manifestInvalid("manifest is larger than \(limit) bytes", status: 413)
        }
        var bytes = [UInt8]()
        for try await buffer in ClientBody(base: request.body, code: .manifestInvalid, declared: request.headers[.contentLength]) {
            guard bytes.count + buffer.readableBytes <= limit else {
                throw RegistryError.manifestInvalid("manifest is larger than \(limit) bytes", status: 413)
            }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return bytes
    }
}
