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
    /// The index's namespaces, visibility and collaborators (`index.namespaces`), added to
    /// the policy's grants; nil keeps distribution's semantics.
    public let grants: (any AccessGrants)?

    /// - Parameter grants: when given, the policy no longer defaults to "every
    ///   authenticated user may do everything": what is not granted by the index or by an
    ///   explicit `access` rule is refused, which is what makes a private repository private.
    public init(
        provider: any AuthProvider, policy: AccessPolicy?, throttle: LoginThrottle = LoginThrottle(),
        trustedProxies: TrustedProxies = .none, grants: (any AccessGrants)? = nil
    ) {
        self.provider = provider
        self.policy = policy ?? (grants == nil ? .authenticatedUsersOnly : AccessPolicy())
        self.policyConfigured = policy != nil || grants != nil
        self.throttle = throttle
        self.trustedProxies = trustedProxies
        self.grants = grants
    }

    /// What `identity` may do to `repository`: the policy's rules and the index's grants
    /// together (a union, so either may grant; neither can take away what the other gives).
    public func actions(for identity: Identity, on repository: String) -> AccessActions {
        var granted = policy.actions(for: identity, on: repository)
        if let grants, granted != .all { granted.formUnion(grants.actions(for: identity, on: repository)) }
        return granted
    }

    /// Whether `identity` may list the catalog at all; with the index's grants everyone
    /// may, and sees only the repositories it may pull.
    func mayListCatalog(_ identity: Identity) -> Bool {
        grants != nil || policy.mayListCatalog(identity)
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
            let allowed = actions(for: principal.identity, on: scope.name).intersection(principal.limit ?? .all)
            return scope.knownActions.isSubset(of: allowed)
                && !wanted.isEmpty && wanted.allSatisfy { AccessActions(word: $0) != nil }
        case "registry" where scope.name == "catalog":
            return mayListCatalog(principal.identity)
        default:
            return false
        }
    }

    /// Whether `principal` may see `repository` in the catalog.
    public func mayPull(_ principal: Principal, _ repository: String) -> Bool {
        if principal.tokenAccess != nil && !policyConfigured { return true }
        return actions(for: principal.identity, on: repository).intersection(principal.limit ?? .all).contains(.pull)
    }

    /// The `WWW-Authenticate` value for a failure.
    public func challenge(for failure: AuthFailure) -> String {
        provider.challenge(scopes: failure.scopes, failure: failure.kind)
    }

    /// What the token server grants: each requested scope cut down to what the policy
    /// allows `identity`; scopes with nothing left are dropped.
    /// - Parameter limit: a personal access token's scopes, which no grant exceeds.
    public func grant(_ requested: [AccessScope], to identity: Identity, limit: AccessActions? = nil) -> [AccessScope] {
        var granted = [AccessScope]()
        for scope in requested {
            switch scope.type {
            case "repository":
                // Only names the registry would serve: a token never speaks for
                // `public/../team/app`, whatever a glob of the policy makes of it.
                guard RepositoryName(scope.name) != nil else { continue }
                let allowed = actions(for: identity, on: scope.name).intersection(scope.knownActions).intersection(limit ?? .all)
                if !allowed.isEmpty { granted.append(.repository(scope.name, allowed)) }
            case "registry" where scope.name == "catalog":
                if mayListCatalog(identity) { granted.append(.catalog) }
            default:
                continue
            }
        }
        return granted
    }
}
