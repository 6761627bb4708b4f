import Auth
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import OCI
import RegistryAPI

/// Pier's token server on the realm path (`tokenserver`): authenticates htpasswd users
/// (or nobody, for anonymous tokens), grants what the access policy allows of the
/// requested scopes, and signs a token, as distribution's token specification describes.
struct TokenEndpoint: Sendable {
    let path: String
    let issuer: TokenIssuer
    let users: HtpasswdProvider
    let access: AccessController

    func respond(to request: Request, context: PierRequestContext) async throws -> Response {
        switch request.method {
        case .get:
            var parameters = [(String, String)]()
            for (key, value) in request.uri.queryParameters {
                parameters.append((String(key), String(value)))
            }
            return try await issue(request, parameters, authorization: request.headers[.authorization], oauth: false, context)
        case .post:
            // A login form is a few hundred bytes; anything larger is refused, not buffered.
            guard var body = try? await request.body.collect(upTo: 64 * 1024) else {
                return RegistryError(.sizeInvalid, "the token request body is larger than 64 KiB", status: 413).response(for: request.method)
            }
            let form = body.readString(length: body.readableBytes) ?? ""
            let parameters = form.split(separator: "&").map { pair -> (String, String) in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                func decode(_ text: Substring) -> String {
                    text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
                }
                return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
            }
            let grant = parameters.first { $0.0 == "grant_type" }?.1
            guard grant == "password" else {
                return Self.oauthError("unsupported_grant_type", status: .badRequest)
            }
            let user = parameters.first { $0.0 == "username" }?.1 ?? ""
            let password = parameters.first { $0.0 == "password" }?.1 ?? ""
            let basic = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
            return try await issue(request, parameters, authorization: basic, oauth: true, context)
        default:
            return RegistryError(.unsupported, "method not allowed on the token endpoint").response(for: request.method)
        }
    }

    private func issue(_ request: Request, _ parameters: [(String, String)], authorization: String?, oauth: Bool, _ context: PierRequestContext) async throws -> Response {
        if let service = parameters.first(where: { $0.0 == "service" })?.1, service != issuer.service {
            return RegistryError(.denied, "this token server issues tokens for service \(issuer.service)", status: 400)
                .response(for: request.method)
        }
        let client = RegistryResponder.client(of: request, context, access)
        let scopes = parameters.filter { $0.0 == "scope" }.flatMap { AccessScope.parseList($0.1) }
        let principal: Principal
        do {
            principal = try await users.authenticate(authorization.map { Substring($0) }, scopes: scopes, client: client)
        } catch {
            return RegistryResponder.refusal(error, request, challenge: users.challenge(scopes: [], failure: .invalidCredentials))
        }
        let identity = principal.identity
        let granted = access.grant(scopes, to: identity, limit: principal.limit)
        let issued = try issuer.issue(subject: identity.userName, access: granted, limit: principal.limit)
        let formatter = ISO8601DateFormatter()
        var object: [String: Any] = [
            "access_token": issued.token,
            "expires_in": issued.expiresIn,
            "issued_at": formatter.string(from: issued.issuedAt),
        ]
        if oauth {
            object["scope"] = granted.map(\.description).joined(separator: " ")
        } else {
            object["token"] = issued.token
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .contentLength: String(data.count), .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    private static func oauthError(_ code: String, status: HTTPResponse.Status) -> Response {
        let data = Data(#"{"error":"\#(code)"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json", .contentLength: String(data.count)], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
