/// A way of telling who a caller is from its `Authorization` header: htpasswd (Basic) or
/// bearer tokens. The two answer the same questions differently, hence a protocol.
public protocol AuthProvider: Sendable {
    /// Whose credentials these are. Nil `authorization` is an anonymous caller: providers
    /// that allow anonymous access return ``Principal/anonymous``, others throw.
    /// `client` is the caller's address, for slowing down repeated failures.
    func authenticate(_ authorization: Substring?, scopes: [AccessScope], client: String) async throws(AuthFailure) -> Principal

    /// The `WWW-Authenticate` value that tells a client how to authenticate for `scopes`.
    func challenge(scopes: [AccessScope], failure: AuthFailure.Kind) -> String
}
