/// Rights that come from somewhere besides the `access` policy: the index's personal
/// namespaces, repository visibility and collaborators. The access controller adds them to
/// what the policy grants, on every request, so it must answer from memory.
public protocol AccessGrants: Sendable {
    /// What `identity` may do to `repository` by these grants alone.
    func actions(for identity: Identity, on repository: String) -> AccessActions
}
