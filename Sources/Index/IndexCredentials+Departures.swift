import Auth
import Foundation
import OCI

/// A user who leaves the htpasswd file leaves nothing behind: their personal access tokens,
/// web sessions, collaborations and team places are forgotten, so a new user given the name
/// later inherits none of them (as ``RepositoryIndex/deleteUser(_:)`` does for the index's
/// own users). Refusing a departed user's credentials at use is not enough: they would work
/// again the moment the name is in the file again.
///
/// The names of every read of the file since the last sweep are kept in memory, and the
/// file's names at the last sweep in the index (per file path), so a user removed while no
/// instance ran is swept at the next start. What guards against a file that is wrong for a
/// moment rather than changed on purpose:
/// - The file is read twice, a moment apart, and a name counts as gone only when neither
///   read holds it: Apache's `htpasswd` rewrites a file in place, and a read in the middle
///   of that must not cost anyone their collaborations.
/// - When more than half the names (and more than two) leave at once (a wrong volume
///   mounted, a file emptied by mistake), they are forgotten only after an hour without
///   them, and not at all if they come back meanwhile with the password hash they left
///   with (back with another, they are someone else given the name); the log says so.
/// - A file this start created (the path held none) compares with nothing.
/// Names that were never in the file (a collaborator named before their account exists)
/// are left alone.
extension IndexCredentials {
    /// How long a file must stay without a user before the user counts as gone.
    static let departureSettle = Duration.seconds(2)
    /// How long a mass departure waits before it is believed.
    static let massDepartureDelay: Int64 = 3_600_000

    /// Told of each read of the htpasswd file at `path` (``HtpasswdStore``'s reloads) and
    /// the `entries` it held: compares the file with the names seen before once it has
    /// settled. One sweep at a time; a read during one brings another after it.
    public func htpasswdRead(at path: String, entries: [HtpasswdFile.Entry]) {
        let start = departures.withLock { state -> Bool in
            state.path = path
            for entry in entries {
                state.seen.insert(entry.user)
                state.prints[entry.user] = Self.fingerprint(entry.hash)
            }
            state.dirty = true
            guard !state.sweeping else { return false }
            state.sweeping = true
            return true
        }
        guard start else { return }
        Task {
            while true {
                try? await Task.sleep(for: Self.departureSettle)
                departures.withLock { $0.dirty = false }
                await sweepDepartures(path)
                let again = departures.withLock { state -> Bool in
                    if state.dirty { return true }
                    state.sweeping = false
                    return false
                }
                if !again { return }
            }
        }
    }

    /// Says the file at `path` was created by this start: it holds only the first user
    /// made for it, and the names before it are not taken for departed.
    public func htpasswdCreated(at path: String) {
        departures.withLock { $0.created = path }
    }

    /// Forgets the names the file held at the last sweep or in a read since and holds no
    /// more; remembers the names it holds now. Departures and both records are written in
    /// one transaction, so a failure leaves everything as it was for the next sweep.
    func sweepDepartures(_ path: String) async {
        guard let index = index.withLock({ $0 }) else { return }
        guard let first = try? HtpasswdFile.read(from: path) else { return }
        try? await Task.sleep(for: Self.departureSettle)
        guard let second = try? HtpasswdFile.read(from: path) else { return }
        let present = Set(first.users).union(second.users)
        // Each present name's hash now (the later read's), as a fingerprint.
        var prints = [String: String]()
        for entry in first.entries + second.entries { prints[entry.user] = Self.fingerprint(entry.hash) }
        let usersKey = "htpasswd_users:" + path
        let printsKey = "htpasswd_prints:" + path
        let pendingKey = "htpasswd_departing:" + path
        let now = IndexClock.now()
        do {
            let fresh = departures.withLock { $0.created == path }
            var before = departures.withLock { $0.seen }
            var recorded = [String: String]()
            if !fresh, let text = try await index.state(usersKey) {
                before.formUnion(text.split(separator: "\n").map(String.init))
                recorded = (try? await index.state(printsKey)).flatMap { $0 }.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:]
            }
            recorded.merge(departures.withLock { $0.prints }) { _, read in read }
            // Names leaving: since when, from when they count as gone, and the hash they left with.
            var pending = Self.pendingDepartures(try await index.state(pendingKey) ?? "")
            // A name the index made itself is the index's user, not the file's.
            let gone = try await before.subtracting(present).subtracting(pending.keys).asyncFilter { try await index.user($0) == nil }
            // Most of the file gone at once is likelier a wrong file than a decision: it is
            // believed after an hour, and not if the names come back before.
            let massive = gone.count > max(2, before.count / 2)
            for name in gone {
                pending[name] = PendingDeparture(since: now, until: massive ? now + Self.massDepartureDelay : now, print: recorded[name])
            }
            var departed = [String]()
            // Most of those leaving back at once is the file put right, even rebuilt with new
            // salts (`htpasswd -B` for each user again): the same users. A few back while the
            // rest stay away are compared with the hash they left with.
            let returning = pending.keys.filter { present.contains($0) && !gone.contains($0) }.count
            let massReturn = returning > max(2, pending.count / 2)
            for (name, entry) in pending {
                if present.contains(name) {
                    // Back before its hour with the hash it left with, or with most of the
                    // others: the same user, whose file was wrong a while. Back alone with
                    // another hash, or after the hour: a new user of the name, who
                    // inherits nothing.
                    let someoneElse = !massReturn && entry.print != nil && prints[name] != nil && entry.print != prints[name]
                    if someoneElse || (entry.until > entry.since && now >= entry.until) { departed.append(name) }
                    pending[name] = nil
                } else if now >= entry.until {
                    departed.append(name)
                    pending[name] = nil
                }
            }
            // The index may have made one of them a user of its own meanwhile.
            departed = try await departed.asyncFilter { try await index.user($0) == nil }
            let pendingText = (try? JSONEncoder().encode(pending)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let printsText = (try? JSONEncoder().encode(prints)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            try await index.forgetAccounts(departed.sorted(), recording: [
                (pendingKey, pendingText), (usersKey, present.sorted().joined(separator: "\n")), (printsKey, printsText),
            ])
            departures.withLock { state in
                state.seen.subtract(departed)
                for name in departed { state.prints[name] = nil }
                if state.created == path { state.created = nil }
            }
            if !departed.isEmpty {
                index.logger.notice(
                    "users left the htpasswd file: their tokens, sessions, collaborations and team places are forgotten",
                    metadata: ["users": "\(departed.sorted().joined(separator: ","))"]
                )
            }
            if !pending.isEmpty {
                index.logger.warning(
                    "many users left the htpasswd file at once: what they hold is forgotten at the first change of the file an hour after they left, unless they come back",
                    metadata: ["users": "\(pending.keys.sorted().joined(separator: ","))", "path": "\(path)"]
                )
            }
        } catch {
            index.logger.warning("departed htpasswd users could not be swept; tried again at the next change", metadata: ["error": "\(error)"])
        }
    }
}

/// A name that left the file and is not forgotten yet (a mass departure's hour).
struct PendingDeparture: Codable, Sendable, Equatable {
    /// When the name was first seen gone, in the index clock's milliseconds.
    var since: Int64
    /// From when it counts as gone.
    var until: Int64
    /// The fingerprint of the hash it left with, when known: the name back with another
    /// hash is someone else.
    var print: String?
}

extension IndexCredentials {
    /// A short fingerprint of a salted hash (bcrypt, Apache's `$apr1$` MD5, `htpasswd`'s
    /// default): enough to tell one hash from another, and no hash is kept in the index;
    /// the salt is not in the fingerprint, so it gives nothing to guess passwords against.
    /// Nil for unsalted `{SHA}` hashes, whose fingerprint would be a fast offline check.
    static func fingerprint(_ hash: String) -> String? {
        guard HtpasswdFile.isBcrypt(hash) || hash.hasPrefix("$apr1$") else { return nil }
        return String(Digest.of(Array(hash.utf8)).encoded.prefix(16))
    }

    /// The pending departures as stored: JSON, or the older `name\tsince\tuntil` lines.
    static func pendingDepartures(_ text: String) -> [String: PendingDeparture] {
        if let decoded = try? JSONDecoder().decode([String: PendingDeparture].self, from: Data(text.utf8)) { return decoded }
        var pending = [String: PendingDeparture]()
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            if parts.count == 3, let since = Int64(parts[1]), let until = Int64(parts[2]) {
                pending[String(parts[0])] = PendingDeparture(since: since, until: until, print: nil)
            }
        }
        return pending
    }
}

extension Sequence {
    fileprivate func asyncFilter(_ keep: (Element) async throws -> Bool) async rethrows -> [Element] {
        var kept = [Element]()
        for element in self where try await keep(element) { kept.append(element) }
        return kept
    }
}
