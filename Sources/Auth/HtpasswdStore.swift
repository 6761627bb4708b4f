import JOSE
import Crypto
import Foundation
import Metrics
import NIOPosix
import Storage
import Synchronization

/// Checks user names and passwords against an htpasswd file that may change under it.
///
/// bcrypt costs tens of milliseconds by design; the reference server pays it on every
/// request. Here a verified `Authorization` value is remembered (by its SHA-256, never in
/// clear) for a few minutes, so only the first request of a client pays, and bcrypt runs
/// on a thread pool so event loops keep serving meanwhile. The cache is dropped whenever
/// the file changes, so a removed user or a changed password takes effect at once.
public final class HtpasswdStore: Sendable {
    struct State {
        var file = HtpasswdFile()
        /// The cost an unknown user's decoy check runs at: the file's dearest bcrypt.
        var decoyCost = HtpasswdStore.defaultDecoyCost
        var stamp = FileStamp()
        var checked = ContinuousClock.Instant.now - .seconds(10)
        var verified: [CredentialKey: Verified] = [:]
        /// Checks running now, so the same credentials arriving meanwhile join them.
        var checking: [CredentialKey: Task<Outcome, Never>] = [:]
    }

    /// Credentials checked already: whose, until when, and, for a user of a
    /// ``CredentialDirectory``, the hash they matched, re-checked on every use (the file's
    /// users are dropped all at once when the file changes).
    struct Verified {
        var user: String
        var until: ContinuousClock.Instant
        var directoryHash: String?
    }

    /// SHA-256 of an `Authorization` value as four words: the cache never holds a
    /// credential in clear, and a look-up allocates nothing.
    struct CredentialKey: Hashable {
        var a: UInt64, b: UInt64, c: UInt64, d: UInt64

        init(_ text: some StringProtocol) {
            let digest = text.utf8.withContiguousStorageIfAvailable { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
                ?? SHA256.hash(data: Array(text.utf8))
            var words = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            digest.withUnsafeBytes { bytes in
                words = (
                    bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                    bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                    bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
                    bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
                )
            }
            (a, b, c, d) = words
        }
    }

    public let path: String
    /// A hash of `cost` no password matches (its salt and digest are made up), checked for
    /// unknown users and to even out cheaper checks.
    static func decoyHash(cost: Int) -> String {
        // Two digits, as bcrypt writes them.
        "$2y$" + (cost < 10 ? "0" : "") + String(cost) + "$" + String(repeating: "A", count: 22) + String(repeating: "B", count: 31)
    }

    /// The decoy's cost when the file holds no bcrypt hash, and the least it costs beside a
    /// ``CredentialDirectory``: the cost `pier user` and the index write.
    static let defaultDecoyCost = 10
    /// The most a decoy costs (about a quarter of a second of one core): one line of cost
    /// 17, or 31, in the file must not make every unknown user's login cost seconds, or
    /// days. Users above it are named at load: their logins take longer than an unknown
    /// user's.
    public static let maximumDecoyCost = 12

    /// The cost an unknown user of the file costs now.
    var decoyCost: Int { state.withLock { $0.decoyCost } }

    /// The decoy checks that make checking `hash` take as long as the decoy of `decoyCost`
    /// an unknown user gets. bcrypt's time doubles with each step of cost, so a hash of
    /// cost c is evened out by decoys of c, c+1, …, decoyCost−1 (2^c + 2^c + … + 2^(d−1) =
    /// 2^d). An MD5 or SHA-1 check takes microseconds: one decoy of decoyCost. The file's
    /// dearest hash sets decoyCost, so a file made by one tool at one cost (`htpasswd -B`'s
    /// 5, say) pays nothing: its unknown users cost what its users do.
    static func paddingCosts(for hash: String, decoyCost: Int) -> Range<Int> {
        guard let cost = HtpasswdFile.bcryptCost(of: hash) else { return decoyCost..<(decoyCost + 1) }
        return min(cost, decoyCost)..<decoyCost
    }
    let cacheLifetime: Duration
    let cacheCapacity: Int
    let recheckInterval: Duration = .seconds(1)
    private let state = Mutex(State())
    private let onReload: @Sendable (HtpasswdFile) -> Void
    private let onUnreadable: @Sendable (String) -> Void
    private let passwordChecks = Counter(label: "pier_auth_password_checks_total")
    private let verify: @Sendable (_ password: String, _ hash: String) -> Bool

    /// - Parameters:
    ///   - onReload: told each file read, so its unusable entries can be named.
    ///   - onUnreadable: told why, when the file changed and cannot be read: every login then
    ///     fails, and the log is the only place that can say why.
    public convenience init(
        path: String, cacheLifetime: Duration = .seconds(300), cacheCapacity: Int = 10_000,
        onReload: @escaping @Sendable (HtpasswdFile) -> Void = { _ in },
        onUnreadable: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.init(
            path: path, cacheLifetime: cacheLifetime, cacheCapacity: cacheCapacity, onReload: onReload, onUnreadable: onUnreadable,
            verify: HtpasswdFile.verify
        )
    }

    /// - Parameter verify: checks a password against a hash; tests count its calls.
    init(
        path: String, cacheLifetime: Duration, cacheCapacity: Int,
        onReload: @escaping @Sendable (HtpasswdFile) -> Void, onUnreadable: @escaping @Sendable (String) -> Void,
        verify: @escaping @Sendable (String, String) -> Bool
    ) {
        self.verify = verify
        self.path = path
        self.cacheLifetime = cacheLifetime
        self.cacheCapacity = cacheCapacity
        self.onReload = onReload
        self.onUnreadable = onUnreadable
        reloadIfChanged(force: true)
    }

    /// Why `path` cannot be read, in the words an operator acts on: a directory where the
    /// file should be (what a bind mount of a missing host file makes), a file this user may
    /// not read, or no file at all.
    /// `kind` names the file expected (`an htpasswd file`, `a certificate file`).
    public static func unreadableReason(_ path: String, kind: String = "an htpasswd file") -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "\(path) does not exist" }
        if isDirectory.boolValue { return "\(path) is a directory, not \(kind)" }
        if !FileManager.default.isReadableFile(atPath: path) { return "\(path) cannot be read by user id \(getuid())" }
        return "\(path) is not UTF-8 text"
    }

    /// Creates the file with the user `docker` and a random password when it is missing,
    /// as distribution does, and returns that password so it can be shown once.
    public static func createIfMissing(path: String) throws -> String? {
        guard !FileManager.default.fileExists(atPath: path) else { return nil }
        var bytes = [UInt8](repeating: 0, count: 24)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        let password = Base64URL.encode(bytes)
        var file = HtpasswdFile()
        file.set(user: "docker", hash: HtpasswdFile.hashPassword(password))
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // Never readable by others, not even while written: it holds a password's hash.
        do {
            try PrivateFile.save(Array(file.text.utf8), to: path)
        } catch {
            throw TokenError("cannot create htpasswd file: \(error)")
        }
        return password
    }

    /// The user of already verified credentials, without any bcrypt; nil when not cached.
    /// A user of `directory` is looked up there again: still active, with the same hash.
    public func cachedUser(cacheKey: some StringProtocol, directory: (any CredentialDirectory)? = nil) -> String? {
        let key = CredentialKey(cacheKey)
        let now = ContinuousClock.now
        // One lock for the hot path: the look-up, and whether the file is due a look.
        let (entry, due) = state.withLock { state -> (Verified?, Bool) in
            let due = now - state.checked >= recheckInterval
            guard let entry = state.verified[key] else { return (nil, due) }
            if entry.until > now { return (entry, due) }
            state.verified[key] = nil
            return (nil, due)
        }
        var found = entry
        if due {
            reloadIfChanged()
            found = state.withLock { $0.verified[key] }
        }
        guard let found else { return nil }
        if let hash = found.directoryHash, directory?.passwordHash(of: found.user) != hash {
            state.withLock { _ = $0.verified.removeValue(forKey: key) }
            return nil
        }
        return found.user
    }

    /// What checking a user name and password came to.
    public enum Outcome: Sendable, Equatable {
        case verified(String)
        case rejected
        /// Not checked: the throttle refused the attempt.
        case throttled(retryAfter: Duration)
    }

    /// Whose credentials these are. `cacheKey` is the whole `Authorization` value, so a hit
    /// costs one hash and a dictionary look-up. The same credentials arriving while they
    /// are being checked wait for that one check (a CI fleet logging in at once costs one
    /// bcrypt, and counts as one attempt); other attempts pass `throttle` first.
    /// A user the file does not name is looked up in `directory`.
    public func authenticate(
        user: String, password: String, cacheKey: some StringProtocol, client: String, throttle: LoginThrottle,
        directory: (any CredentialDirectory)? = nil
    ) async -> Outcome {
        reloadIfChanged()
        if let cached = cachedUser(cacheKey: cacheKey, directory: directory) { return .verified(cached) }
        let key = CredentialKey(cacheKey)
        let check = state.withLock { state -> Task<Outcome, Never> in
            if let running = state.checking[key] { return running }
            let task = Task { [self] in
                let outcome = await self.check(user: user, password: password, key: key, client: client, throttle: throttle, directory: directory)
                self.state.withLock { $0.checking[key] = nil }
                return outcome
            }
            state.checking[key] = task
            return task
        }
        return await check.value
    }

    /// One password check, admitted by the throttle and counted in
    /// `pier_auth_password_checks_total`.
    private func check(
        user: String, password: String, key: CredentialKey, client: String, throttle: LoginThrottle, directory: (any CredentialDirectory)?
    ) async -> Outcome {
        let ticket: LoginThrottle.Ticket
        do {
            ticket = try await throttle.admit(user: user, client: client)
        } catch {
            return .throttled(retryAfter: error.retryAfter)
        }
        passwordChecks.increment()
        // An unknown user costs a bcrypt too, and every check is evened out to the same
        // time, so the answer's timing does not tell which user names exist.
        // The file's users first: a name in both logs in with the file's password.
        let (inFile, fileCost) = state.withLock { ($0.file.hash(for: user), $0.decoyCost) }
        // The directory's users have hashes of cost 10: their unknown users cost no less.
        let decoyCost = directory == nil ? fileCost : max(fileCost, Self.defaultDecoyCost)
        let fromDirectory = inFile == nil ? directory?.passwordHash(of: user) : nil
        let known = inFile ?? fromDirectory
        let hash = known.flatMap { HtpasswdFile.isReadable($0) ? $0 : nil } ?? Self.decoyHash(cost: decoyCost)
        let matches = (try? await NIOThreadPool.singleton.runIfActive {
            let matches = self.verify(password, hash)
            for cost in Self.paddingCosts(for: hash, decoyCost: decoyCost) {
                _ = self.verify(password, Self.decoyHash(cost: cost))
            }
            return matches
        }) ?? false
        let valid = matches && known == hash
        throttle.finish(ticket, succeeded: valid)
        guard valid else { return .rejected }
        let now = ContinuousClock.now
        state.withLock { state in
            // The file may have changed while bcrypt ran: only remember what still holds.
            if let fromDirectory {
                guard state.file.hash(for: user) == nil, directory?.passwordHash(of: user) == fromDirectory else { return }
            } else {
                guard state.file.hash(for: user) == hash else { return }
            }
            if state.verified.count >= cacheCapacity {
                state.verified = state.verified.filter { $0.value.until > now }
                if state.verified.count >= cacheCapacity { state.verified.removeAll(keepingCapacity: true) }
            }
            state.verified[key] = Verified(user: user, until: now + cacheLifetime, directoryHash: fromDirectory)
        }
        return .verified(user)
    }

    /// Whether the file (re-read when it changed) still names `user`: a user removed from it
    /// loses every credential, personal access tokens included.
    public func hasUser(_ user: String) -> Bool {
        passwordHash(of: user) != nil
    }

    /// The hash the file (re-read when it changed) holds for `user` now.
    public func passwordHash(of user: String) -> String? {
        reloadIfChanged()
        return state.withLock { $0.file.hash(for: user) }
    }

    /// The users the file names now, in its order.
    public var users: [String] {
        reloadIfChanged()
        return state.withLock { $0.file.users }
    }

    /// Re-reads the file when its inode, size or modification time changed, at most once per
    /// ``recheckInterval`` unless forced.
    func reloadIfChanged(force: Bool = false) {
        let now = ContinuousClock.now
        let due = state.withLock { state -> Bool in
            guard force || now - state.checked >= recheckInterval else { return false }
            state.checked = now
            return true
        }
        guard due else { return }
        let stamp = FileStamp(path: path) ?? FileStamp()
        guard force || stamp != state.withLock({ $0.stamp }) else { return }
        // An unreadable file lets nobody in, and says so once per change of the file.
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            text = ""
            onUnreadable(Self.unreadableReason(path))
        }
        let file = HtpasswdFile(parsing: text)
        state.withLock { state in
            state.file = file
            state.decoyCost = min(file.dearestCost ?? Self.defaultDecoyCost, Self.maximumDecoyCost)
            state.stamp = stamp
            state.verified.removeAll()
        }
        onReload(file)
    }
}
