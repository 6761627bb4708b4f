public import Auth
import Synchronization

/// What the index grants, held in memory so the registry asks it on every request without
/// a database read: personal namespaces (`alice/**` is alice's), organisations' namespaces
/// (their teams' permissions), each repository's visibility and its collaborators. ``RepositoryIndex`` loads it at start and keeps it in
/// step with every change it makes (and, on PostgreSQL, with changes other instances make).
///
/// A repository the index does not know is not public: a name that does not exist and a
/// private one are refused alike, so nobody can tell them apart.
public final class NamespaceGrants: AccessGrants {
    /// Who may see a repository.
    public enum Visibility: String, Sendable, CaseIterable {
        case `public`, `private`
    }

    /// What a collaborator may do.
    public enum Role: String, Sendable, CaseIterable {
        case read, write, admin

        public var actions: AccessActions {
            switch self {
            case .read: .pull
            case .write: [.pull, .push]
            case .admin: .all
            }
        }
    }

    /// What the index holds of one repository.
    public struct Entry: Sendable, Equatable {
        /// nil: the configured default.
        public var visibility: Visibility?
        public var collaborators: [String: Role]

        public init(visibility: Visibility? = nil, collaborators: [String: Role] = [:]) {
            self.visibility = visibility
            self.collaborators = collaborators
        }
    }

    /// The visibility of repositories that were not given one (`index.defaultvisibility`).
    public let defaultVisibility: Visibility
    private let entries = Mutex<[String: Entry]>([:])

    public init(defaultVisibility: Visibility) {
        self.defaultVisibility = defaultVisibility
    }

    /// Organisation → member → the strongest role any of their teams holds there.
    private let organizations = Mutex<[String: [String: Role]]>([:])

    public func actions(for identity: Identity, on repository: String) -> AccessActions {
        let namespace = Self.owner(of: repository)
        var granted: AccessActions = []
        if let namespace {
            // An organisation's namespace belongs to its teams; anyone else's to its user.
            let members = organizations.withLock { $0[String(namespace)] }
            if let members {
                if let user = identity.userName, let role = members[user] { granted = role.actions }
            } else if let user = identity.userName, namespace == user {
                return .all
            }
        }
        if granted == .all { return .all }
        return entries.withLock { entries in
            guard let entry = entries[repository] else { return granted }
            if (entry.visibility ?? defaultVisibility) == .public { granted.insert(.pull) }
            if let user = identity.userName, let role = entry.collaborators[user] { granted.formUnion(role.actions) }
            return granted
        }
    }

    /// Whether `name` is an organisation's namespace.
    public func isOrganization(_ name: String) -> Bool {
        organizations.withLock { $0[name] != nil }
    }

    /// `user`'s role in organisation `name`, if they are in one of its teams.
    public func role(of user: String, in name: String) -> Role? {
        organizations.withLock { $0[name]?[user] }
    }

    func replaceOrganizations(_ new: [String: [String: Role]]) {
        changed()
        organizations.withLock { $0 = new }
    }

    /// The user whose personal namespace holds `repository`: its first path component,
    /// when it has more than one.
    public static func owner(of repository: String) -> Substring? {
        guard let slash = repository.firstIndex(of: "/") else { return nil }
        return repository[..<slash]
    }

    /// Whether `repository` is public, as the index says now.
    public func visibility(of repository: String) -> Visibility {
        entries.withLock { $0[repository]?.visibility } ?? defaultVisibility
    }

    /// The entry of `repository`, if the index knows it.
    public func entry(_ repository: String) -> Entry? {
        entries.withLock { $0[repository] }
    }

    /// Counts changes made in memory, so a load read before one of them does not undo it.
    private let changes = Mutex<UInt64>(0)

    /// The count of changes so far; a load notes it before it reads the database.
    var generation: UInt64 { changes.withLock { $0 } }

    /// Replaces everything with what a load read, unless something changed since
    /// `generation` was noted (the load is then stale and must read again): false then.
    func replaceAll(_ new: [String: Entry], organizations new2: [String: [String: Role]], readAt generation: UInt64) -> Bool {
        changes.withLock { changes in
            guard changes == generation else { return false }
            entries.withLock { $0 = new }
            organizations.withLock { $0 = new2 }
            return true
        }
    }

    private func changed() {
        changes.withLock { $0 &+= 1 }
    }

    /// Records that `repository` exists (pushed, or read from storage).
    func noteRepository(_ repository: String) {
        changed()
        entries.withLock { entries in
            if entries[repository] == nil { entries[repository] = Entry() }
        }
    }

    func update(_ repository: String, _ change: (inout Entry) -> Void) {
        changed()
        entries.withLock { entries in
            var entry = entries[repository] ?? Entry()
            change(&entry)
            entries[repository] = entry
        }
    }

    func forget(_ repository: String) {
        changed()
        _ = entries.withLock { $0.removeValue(forKey: repository) }
    }
}
