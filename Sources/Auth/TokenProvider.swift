import Foundation

/// Bearer-token authentication (`auth.token`): the caller brings a token from the realm.
public struct TokenProvider: AuthProvider {
    public let realm: String
    public let verifier: TokenVerifier

    public init(realm: String, verifier: TokenVerifier) {
        self.realm = realm
        self.verifier = verifier
    }

    public func authenticate(_ authorization: Substring?, scopes: [AccessScope], client: String) async throws(AuthFailure) -> Principal {
        guard let authorization else {
            throw AuthFailure(.missingCredentials, "authentication required", scopes: scopes)
        }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw AuthFailure(.invalidToken, "a bearer token is required", scopes: scopes)
        }
        do {
            let verified = try verifier.verify(parts[1].trimmingCharacters(in: .whitespaces))
            let identity: Identity = verified.subject.map { $0.isEmpty ? .anonymous : .user($0) } ?? .anonymous
            return Principal(identity: identity, tokenAccess: verified.access, limit: verified.limit)
        } catch {
            throw AuthFailure(.invalidToken, error.reason, scopes: scopes)
        }
    }

    public func challenge(scopes: [AccessScope], failure: AuthFailure.Kind) -> String {
        var value = "Bearer realm=\"\(realm)\",service=\"\(verifier.service)\""
        if !scopes.isEmpty {
            value += ",scope=\"\(scopes.map(\.description).joined(separator: " "))\""
        }
        switch failure {
        case .invalidToken: value += ",error=\"invalid_token\""
        case .insufficientScope: value += ",error=\"insufficient_scope\""
        default: break
        }
        return value
    }
}
