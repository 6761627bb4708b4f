import OCI

/// The door: authenticates a request with the configured provider and decides, with the
/// access policy or the token's claims, whether it may do what it asks.
public struct AccessController: Sendable {
    public let provider: any AuthProvider
    public let policy: AccessPolicy
    /// Counts password attempts per user and client, shared by every door that checks one.
    public let throttle: LoginThrottle
    /// Whose `X-Forwarded-For` names the client (`http.trustedproxies`).
    public let trustedProxies: TrustedProxies
    /// Whether an `access` section was configured; without one, a token's claims alone
    /// decide and the catalog is not filtered for token holders.
    let policyConfigured: Bool

    public init(provider: any AuthProvider, policy: AccessPolicy?, throttle: LoginThrottle = LoginThrottle(), trustedProxies: TrustedProxies = .none) {
        self.provider = provider
        self.policy = policy ?? .authenticatedUsersOnly
        self.policyConfigured = policy != nil
        self.throttle = throttle
        self.trustedProxies = trustedProxies
    }

    /// Lets the request through or throws why not. `needed` empty means the caller only
    /// has to be authenticated (`GET /v2/`).
    public func authorize(_ authorization: Substring?, needed: [AccessScope], client: String) async throws(AuthFailure) -> Principal {
        let principal = try await provider.authenticate(authorization, scopes: needed, client: client)
        if needed.isEmpty {
            guard principal.identity != .anonymous || principal.tokenAccess != nil else {
                throw AuthFailure(.missingCredentials, "authentication required", scopes: needed)
            }
            return principal
        }
        for scope in needed where !allows(principal, scope) {
            switch (principal.identity, principal.tokenAccess) {
            case (_, .some):
                throw AuthFailure(.insufficientScope, "insufficient scope for \(scope)", scopes: needed)
            case (.anonymous, nil):
                throw AuthFailure(.missingCredentials, "authentication required", scopes: needed)
            case (.user, nil):
                throw AuthFailure(.denied, "requested access to the resource is denied", scopes: needed)
            }
        }
        return principal
    }

    /// Whether `principal` holds every action of `scope`.
    public func allows(_ principal: Principal, _ scope: AccessScope) -> Bool {
        let wanted = scope.actions
        if let access = principal.tokenAccess {
            return access.contains { granted in
                granted.type == scope.type && granted.name == scope.name
                    && (granted.actions.contains("*") || wanted.allSatisfy(granted.actions.contains))
            }
        }
        switch scope.type {
        case "repository":
            return scope.knownActions.isSubset(of: policy.actions(for: principal.identity, on: scope.name))
                && !wanted.isEmpty && wanted.allSatisfy { AccessActions(word: $0) != nil }
        case "registry" where scope.name == "catalog":
            return policy.mayListCatalog(principal.identity)
        default:
            return false
        }
    }

    /// Whether `principal` may see `repository` in the catalog.
    public func mayPull(_ principal: Principal, _ repository: String) -> Bool {
        if principal.tokenAccess != nil && !policyConfigured { return true }
        return policy.actions(for: principal.identity, on: repository).contains(.pull)
    }

    /// The `WWW-Authenticate` value for a failure.
    public func challenge(for failure: AuthFailure) -> String {
        provider.challenge(scopes: failure.scopes, failure: failure.kind)
    }

    /// What the token server grants: each requested scope cut down to what the policy
    /// allows `identity`; scopes with nothing left are dropped.
    public func grant(_ requested: [AccessScope], to identity: Identity) -> [AccessScope] {
        var granted = [AccessScope]()
        for scope in requested {
            switch scope.type {
            case "repository":
                // Only names the registry would serve: a token never speaks for
                // `public/../team/app`, whatever a glob of the policy makes of it.
                guard RepositoryName(scope.name) != nil else { continue }
                let allowed = policy.actions(for: identity, on: scope.name).intersection(scope.knownActions)
                if !allowed.isEmpty { granted.append(.repository(scope.name, allowed)) }
            case "registry" where scope.name == "catalog":
                if policy.mayListCatalog(identity) { granted.append(.catalog) }
            default:
                continue
            }
        }
        return granted
    }
}
