import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Net

/// An endpoint of AWS's that hands a machine temporary keys for its role, the last link of
/// the credential chain: on EC2, ECS or EKS a registry is given a role, not keys.
///
/// The URLs are not secrets and appear in errors; tokens and keys never do.
public enum CredentialEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// EC2's instance metadata service (`http://169.254.169.254`, or
    /// `AWS_EC2_METADATA_SERVICE_ENDPOINT`): the instance role's keys, asked for with an
    /// IMDSv2 session token, and without one where the service answers only IMDSv1.
    case instanceMetadata(base: String)
    /// The ECS task role (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` under
    /// `http://169.254.170.2`) or any endpoint named by `AWS_CONTAINER_CREDENTIALS_FULL_URI`
    /// (EKS Pod Identity), which answers the keys as one JSON document.
    case container(url: String, authorization: ContainerAuthorization?)
    /// A role assumed with a web identity token (EKS's IAM roles for service accounts:
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN`), by STS's
    /// `AssumeRoleWithWebIdentity`, which needs no keys to call.
    case webIdentity(sts: String, roleARN: String, sessionName: String, tokenFile: String)

    /// The `Authorization` header a container endpoint wants.
    public enum ContainerAuthorization: Sendable, Equatable {
        /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
        case token(String)
        /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, read again for every fetch: the
        /// platform rotates the token in the file.
        case tokenFile(String)
    }

    /// Why no keys came: the endpoint's own words where it gave some.
    public struct FetchError: Error, CustomStringConvertible {
        /// The reason, as the start's error and the 503s' log lines give it.
        public var description: String
    }

    /// The endpoint as errors and logs name it: its URL, never a token.
    public var description: String {
        switch self {
        case .instanceMetadata(let base): "the EC2 instance metadata service at \(base)"
        case .container(let url, _): "the container credentials endpoint \(url)"
        case .webIdentity(let sts, let role, _, _): "STS at \(sts) assuming \(role) with a web identity"
        }
    }

    /// The role's keys as the endpoint answers them now.
    public func fetch() async throws -> RenewingCredentials.Lease {
        switch self {
        case .instanceMetadata(let base): try await Self.instanceRole(base: base)
        case .container(let url, let authorization): try await Self.containerRole(url: url, authorization: authorization)
        case .webIdentity(let sts, let role, let session, let tokenFile):
            try await Self.webIdentityRole(sts: sts, roleARN: role, sessionName: session, tokenFile: tokenFile)
        }
    }

    // MARK: EC2

    private static let credentialsPath = "/latest/meta-data/iam/security-credentials/"

    private static func instanceRole(base: String) async throws -> RenewingCredentials.Lease {
        var headers = [(String, String)]()
        if let token = try await sessionToken(base: base) { headers.append(("x-aws-ec2-metadata-token", token)) }
        let roles = try await request(.GET, base + credentialsPath, headers: headers)
        guard roles.status == 200 else {
            switch roles.status {
            case 404: throw FetchError(description: "no IAM role is attached to this instance")
            case 401: throw FetchError(description: "listing the instance's roles answered HTTP 401: IMDSv2 is required and no "
                + "session token reached Pier (in a container, the instance's metadata hop limit must be at least 2)")
            default: throw FetchError(description: "listing the instance's roles answered HTTP \(roles.status)")
            }
        }
        guard let role = roles.text.split(whereSeparator: \.isNewline).first.map(String.init) else {
            throw FetchError(description: "no IAM role is attached to this instance")
        }
        let document = try await request(.GET, base + credentialsPath + role, headers: headers)
        guard document.status == 200 else {
            throw FetchError(description: "the keys of role \(role) answered HTTP \(document.status)")
        }
        return try lease(from: document.text, requireSuccess: true)
    }

    /// An IMDSv2 session token, or nil where the service answers without one (IMDSv1, as
    /// the SDKs fall back: a service that refuses or does not know the token request).
    /// A `400` is the service refusing the request itself, which IMDSv1 would not mend.
    private static func sessionToken(base: String) async throws -> String? {
        let answer: (status: Int, text: String)
        do {
            answer = try await request(.PUT, base + "/latest/api/token", headers: [("x-aws-ec2-metadata-token-ttl-seconds", "21600")])
        } catch {
            return nil
        }
        switch answer.status {
        case 200 where !answer.text.isEmpty: return answer.text
        case 400: throw FetchError(description: "the session token request answered HTTP 400")
        default: return nil
        }
    }

    // MARK: ECS, EKS

    private static func containerRole(url: String, authorization: ContainerAuthorization?) async throws -> RenewingCredentials.Lease {
        var headers = [(String, String)]()
        let token: String? = switch authorization {
        case .token(let token): token
        case .tokenFile(let path): try readToken(path, what: "the authorization token file")
        case nil: nil
        }
        if let token {
            // A line break would end the header and start another one of the token's
            // making; any control byte makes the HTTP client's error quote the token.
            guard !token.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) else {
                throw FetchError(description: "the authorization token holds a control character")
            }
            headers.append(("authorization", token))
        }
        let document = try await request(.GET, url, headers: headers)
        guard document.status == 200 else {
            // The platform's error document, whatever its keys' case: it says why, on one
            // log line.
            let said = String(document.text.prefix(300).map { $0.isNewline || $0.asciiValue.map { $0 < 0x20 } == true ? " " : $0 })
            throw FetchError(description: "HTTP \(document.status): \(said)")
        }
        return try lease(from: document.text, requireSuccess: false)
    }

    // MARK: EKS service accounts

    /// STS's answers worth asking again at once, as AWS's SDKs do: its link to the identity
    /// provider failing, a token that expired as it was read (the file is read again), and
    /// STS itself throttling or failing.
    private static let passingSTSFailures: Set<String> = ["IDPCommunicationError", "ExpiredTokenException", "ExpiredToken", "Throttling"]

    private static func webIdentityRole(sts: String, roleARN: String, sessionName: String, tokenFile: String) async throws -> RenewingCredentials.Lease {
        var attempt = 0
        while true {
            attempt += 1
            // Read for every try: the kubelet rotates the projected token in the file.
            let token = try readToken(tokenFile, what: "the web identity token file")
            let form = [
                ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
                ("RoleSessionName", sessionName), ("WebIdentityToken", token),
            ].map { SignatureV4.encode($0.0) + "=" + SignatureV4.encode($0.1) }.joined(separator: "&")
            let answer = try await request(
                .POST, sts + "/", headers: [("content-type", "application/x-www-form-urlencoded")], body: form, viaProxy: true
            )
            let passing = answer.status >= 500 || answer.status == 429
                || S3XML(answer.text).value("Code").map(passingSTSFailures.contains) == true
            if answer.status == 200 || !passing || attempt == 3 {
                return try stsLease(status: answer.status, text: answer.text)
            }
            try await Task.sleep(for: .milliseconds(200 << (2 * (attempt - 1))))
        }
    }

    /// The keys in STS's `AssumeRoleWithWebIdentityResponse`, or its error's code and message.
    static func stsLease(status: Int, text: String) throws -> RenewingCredentials.Lease {
        let xml = S3XML(text)
        guard status == 200 else {
            let detail = [xml.value("Code"), xml.value("Message")].compactMap { $0 }.joined(separator: ": ")
            throw FetchError(description: "AssumeRoleWithWebIdentity answered HTTP \(status)" + (detail.isEmpty ? "" : ": " + detail))
        }
        guard let credentials = xml.blocks("Credentials").first,
              let key = credentials.value("AccessKeyId"), !key.isEmpty,
              let secret = credentials.value("SecretAccessKey"), !secret.isEmpty
        else {
            throw FetchError(description: "AssumeRoleWithWebIdentity answered no AccessKeyId and SecretAccessKey")
        }
        guard let text = credentials.value("Expiration"), let expiration = parseTime(text) else {
            throw FetchError(description: "AssumeRoleWithWebIdentity answered no RFC 3339 Expiration")
        }
        let sessionToken = credentials.value("SessionToken").flatMap { $0.isEmpty ? nil : $0 }
        return .init(credentials: .init(accessKey: key, secretKey: secret, sessionToken: sessionToken), expiration: expiration)
    }

    // MARK: All

    /// A token file's text without its final line break, read for every fetch: platforms
    /// rotate the token in place.
    private static func readToken(_ path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FetchError(description: "\(what) \(path) cannot be read")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// For these requests alone: redirects are never followed (an endpoint's answer could
    /// otherwise send the token, or take keys, from a host nobody configured), and nothing
    /// is shared with the store's connection pool. Process-wide, like `HTTPClient.shared`.
    ///
    /// The on-host endpoints (EC2's instance metadata, ECS's and EKS's) are reached
    /// directly, whatever `HTTP_PROXY` says: their answers are keys, in plain
    /// HTTP. STS, a public HTTPS service, follows the proxy environment (the
    /// proxy sees only a `CONNECT`), as AWS's SDKs do behind an egress proxy.
    private static let configuration: HTTPClient.Configuration = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(2), read: .seconds(10))
        return configuration
    }()
    private static let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    private static let outbound = OutboundClient(configuration: configuration)

    /// The JSON EC2's and the container endpoints answer with (EC2's adds `Code`).
    private struct Document: Decodable {
        var code: String?
        var message: String?
        var accessKeyId: String?
        var secretAccessKey: String?
        var token: String?
        var expiration: String?

        enum CodingKeys: String, CodingKey {
            case code = "Code", message = "Message", accessKeyId = "AccessKeyId", secretAccessKey = "SecretAccessKey"
            case token = "Token", expiration = "Expiration"
        }
    }

    static func lease(from text: String, requireSuccess: Bool) throws -> RenewingCredentials.Lease {
        guard let document = try? JSONDecoder().decode(Document.self, from: Data(text.utf8)) else {
            throw FetchError(description: "the answer is not a credentials document")
        }
        if requireSuccess, let code = document.code, code != "Success" {
            throw FetchError(description: "the service answered \(code)" + (document.message.map { ": \($0)" } ?? ""))
        }
        guard let key = document.accessKeyId, !key.isEmpty, let secret = document.secretAccessKey, !secret.isEmpty else {
            throw FetchError(description: "the answer holds no AccessKeyId and SecretAccessKey")
        }
        var expiration: Date?
        if let text = document.expiration {
            guard let date = parseTime(text) else {
                throw FetchError(description: "the answer's Expiration '\(text)' is not an RFC 3339 time")
            }
            expiration = date
        }
        let token = document.token.flatMap { $0.isEmpty ? nil : $0 }
        return .init(credentials: .init(accessKey: key, secretKey: secret, sessionToken: token), expiration: expiration)
    }

    /// `2026-12-06T11:42:05Z`, with or without fractional seconds.
    static func parseTime(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// One small request. A link-local service gets two seconds: off EC2 the address does
    /// not answer at all, and a start should not hang on it. STS, across the network, ten.
    /// - Parameter viaProxy: for STS alone, which follows the proxy environment; the on-host
    ///   endpoints never do, however they are named (`AWS_EC2_METADATA_SERVICE_ENDPOINT`
    ///   may give a host name).
    private static func request(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)], body: String? = nil, viaProxy: Bool = false
    ) async throws -> (status: Int, text: String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-length", value: String(body.utf8.count))
            request.body = .bytes(ByteBuffer(string: body))
        } else if method == .PUT {
            request.headers.add(name: "content-length", value: "0")
        }
        do {
            // STS is a remote service, not a link-local one: it gets longer.
            let timeout: TimeAmount = body == nil ? .seconds(2) : .seconds(10)
            let response = viaProxy
                ? try await outbound.execute(request, timeout: timeout)
                : try await client.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 64 << 10)
            return (Int(response.status.code), String(buffer: body))
        } catch let error as FetchError {
            throw error
        } catch {
            throw FetchError(description: "\(method) \(url): \(error)")
        }
    }
}
