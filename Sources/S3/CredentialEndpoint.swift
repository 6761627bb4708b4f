import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// An endpoint of AWS's that hands a machine temporary keys for its role, the last link of
/// the credential chain: on EC2, ECS or EKS a registry is given a role, not keys.
public enum CredentialEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// EC2's instance metadata service (`http://169.254.169.254`, or
    /// `AWS_EC2_METADATA_SERVICE_ENDPOINT`): the instance role's keys, asked for with an
    /// IMDSv2 session token, and without one where the service answers only IMDSv1.
    case instanceMetadata(base: String)
    /// The ECS task role (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` under
    /// `http://169.254.170.2`) or any endpoint named by `AWS_CONTAINER_CREDENTIALS_FULL_URI`
    /// (EKS Pod Identity), which answers the keys as one JSON document.
    case container(url: String, authorization: ContainerAuthorization?)

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
        public var description: String
    }

    public var description: String {
        switch self {
        case .instanceMetadata(let base): "the EC2 instance metadata service at \(base)"
        case .container(let url, _): "the container credentials endpoint \(url)"
        }
    }

    /// The role's keys as the endpoint answers them now.
    public func fetch() async throws -> RenewingCredentials.Lease {
        switch self {
        case .instanceMetadata(let base): try await Self.instanceRole(base: base)
        case .container(let url, let authorization): try await Self.containerRole(url: url, authorization: authorization)
        }
    }

    // MARK: EC2

    private static let credentialsPath = "/latest/meta-data/iam/security-credentials/"

    private static func instanceRole(base: String) async throws -> RenewingCredentials.Lease {
        var headers = [(String, String)]()
        if let token = try await sessionToken(base: base) { headers.append(("x-aws-ec2-metadata-token", token)) }
        let roles = try await request(.GET, base + credentialsPath, headers: headers)
        guard roles.status == 200 else {
            throw FetchError(description: roles.status == 404
                ? "no IAM role is attached to this instance"
                : "listing the instance's roles answered HTTP \(roles.status)")
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
        switch authorization {
        case .token(let token):
            headers.append(("authorization", token))
        case .tokenFile(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw FetchError(description: "the authorization token file \(path) cannot be read")
            }
            headers.append(("authorization", String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        case nil:
            break
        }
        let document = try await request(.GET, url, headers: headers)
        guard document.status == 200 else {
            let message = (try? JSONDecoder().decode(Document.self, from: Data(document.text.utf8)))?.message
            throw FetchError(description: "HTTP \(document.status)" + (message.map { ": \($0)" } ?? ""))
        }
        return try lease(from: document.text, requireSuccess: false)
    }

    // MARK: Both

    /// The JSON both kinds of endpoint answer with (EC2's adds `Code`).
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

    /// One small request with the short timeout a link-local service warrants: off EC2 the
    /// address does not answer at all, and a start should not hang on it.
    private static func request(_ method: HTTPMethod, _ url: String, headers: [(String, String)]) async throws -> (status: Int, text: String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if method == .PUT { request.headers.add(name: "content-length", value: "0") }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(2))
            let body = try await response.body.collect(upTo: 64 << 10)
            return (Int(response.status.code), String(buffer: body))
        } catch let error as FetchError {
            throw error
        } catch {
            throw FetchError(description: "\(method) \(url): \(error)")
        }
    }
}
