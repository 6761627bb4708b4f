import Auth

/// A user who leaves the htpasswd file leaves nothing behind: their personal access tokens,
/// web sessions, collaborations and team places are forgotten, so a new user given the name
/// later inherits none of them (as ``RepositoryIndex/deleteUser(_:)`` does for the index's
/// own users). Refusing a departed user's credentials at use is not enough: they would work
/// again the moment the name is in the file again.
///
/// The names of every read of the file since the last sweep are kept in memory, and the
/// file's names at the last sweep in the index, so a user removed while no instance ran is
/// swept at the next start. The file is read twice, a moment apart, and a
/// name counts as gone only when neither read holds it: Apache's `htpasswd` rewrites a file
/// in place, and a read in the middle of that must not cost anyone their collaborations.
/// Names that were never in the file (a collaborator named before their account exists)
/// are left alone.
extension IndexCredentials {
    /// How long a file must stay without a user before the user counts as gone.
    static let departureSettle = Duration.seconds(2)
    static let htpasswdUsersKey = "htpasswd_users"

    /// Told of each read of the htpasswd file at `path` (``HtpasswdStore``'s reloads) and
    /// the `users` it held: compares the file with the names seen before once it has
    /// settled.
    public func htpasswdRead(at path: String, users: [String]) {
        let start = departures.withLock { state -> Bool in
            state.path = path
            state.seen.formUnion(users)
            guard !state.scheduled else { return false }
            state.scheduled = true
            return true
        }
        guard start else { return }
        Task {
            try? await Task.sleep(for: Self.departureSettle)
            departures.withLock { $0.scheduled = false }
            await sweepDepartures(path)
        }
    }

    /// Forgets the names the file held at the last sweep or in a read since and holds no
    /// more; remembers the names it holds now.
    func sweepDepartures(_ path: String) async {
        guard let index = index.withLock({ $0 }) else { return }
        guard let first = try? HtpasswdFile.read(from: path) else { return }
        try? await Task.sleep(for: Self.departureSettle)
        guard let second = try? HtpasswdFile.read(from: path) else { return }
        let present = Set(first.users).union(second.users)
        do {
            var before = departures.withLock { $0.seen }
            if let text = try await index.state(Self.htpasswdUsersKey) {
                before.formUnion(text.split(separator: "\n").map(String.init))
            }
            // A name the index made itself is the index's user, not the file's.
            let departed = try await before.subtracting(present).asyncFilter { try await index.user($0) == nil }
            if !departed.isEmpty {
                try await index.forgetAccounts(departed.sorted())
                index.logger.notice(
                    "users left the htpasswd file: their tokens, sessions, collaborations and team places are forgotten",
                    metadata: ["users": "\(departed.sorted().joined(separator: ","))"]
                )
            }
            departures.withLock { $0.seen.subtract(departed) }
            try await index.setState(Self.htpasswdUsersKey, present.sorted().joined(separator: "\n"))
        } catch {
            index.logger.warning("departed htpasswd users could not be swept; tried again at the next change", metadata: ["error": "\(error)"])
        }
    }
}

extension Set {
    fileprivate func asyncFilter(_ keep: (Element) async throws -> Bool) async rethrows -> Set<Element> {
        var kept = Set<Element>()
        for element in self where try await keep(element) { kept.insert(element) }
        return kept
    }
}
