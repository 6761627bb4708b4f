public import OCI

/// Who may do what to which repositories: Pier's `access` section.
///
/// The grant for a caller and a repository is the union of every matching rule, so rules
/// can be written independently and read in any order.
public struct AccessPolicy: Sendable {
    /// One line of the policy: these callers may do these actions to matching repositories.
    public struct Rule: Sendable {
        public var repositories: [RepositoryGlob]
        /// User names; `*` is every authenticated user.
        public var users: Set<String>
        public var groups: Set<String>
        /// Whether callers without credentials are covered too.
        public var anonymous: Bool
        public var actions: AccessActions

        public init(repositories: [RepositoryGlob], users: Set<String> = [], groups: Set<String> = [], anonymous: Bool = false, actions: AccessActions) {
            self.repositories = repositories
            self.users = users
            self.groups = groups
            self.anonymous = anonymous
            self.actions = actions
        }
    }

    public var admins: Set<String>
    /// Group name → members.
    public var groups: [String: Set<String>]
    public var rules: [Rule]

    public init(admins: Set<String> = [], groups: [String: Set<String>] = [:], rules: [Rule] = []) {
        self.admins = admins
        self.groups = groups
        self.rules = rules
    }

    /// Distribution's behaviour without a policy: authenticated users may do everything,
    /// anonymous callers nothing.
    public static let authenticatedUsersOnly = AccessPolicy(rules: [
        Rule(repositories: [RepositoryGlob("**")], users: ["*"], actions: .all)
    ])

    /// What `identity` may do to the repository `name`.
    public func actions(for identity: Identity, on name: String) -> AccessActions {
        if let user = identity.userName, admins.contains(user) { return .all }
        var granted = AccessActions()
        for rule in rules where applies(rule, to: identity) && !rule.actions.isSubset(of: granted) {
            if rule.repositories.contains(where: { $0.matches(name) }) { granted.formUnion(rule.actions) }
        }
        return granted
    }

    /// Whether `identity` may list the catalog at all: admins, and anyone some rule covers.
    public func mayListCatalog(_ identity: Identity) -> Bool {
        if let user = identity.userName, admins.contains(user) { return true }
        return rules.contains { applies($0, to: identity) && $0.actions.contains(.pull) }
    }

    private func applies(_ rule: Rule, to identity: Identity) -> Bool {
        switch identity {
        case .anonymous:
            return rule.anonymous
        case .user(let name):
            if rule.anonymous || rule.users.contains("*") || rule.users.contains(name) { return true }
            return rule.groups.contains { groups[$0]?.contains(name) == true }
        }
    }
}
