import Crypto
import Foundation
import HummingbirdBcrypt

/// The contents of an htpasswd file: `user:hash` lines, as `htpasswd -B` writes them.
///
/// bcrypt hashes are what Pier writes and distribution reads. Apache's MD5 (`$apr1$`,
/// `htpasswd`'s default) and SHA-1 (`{SHA}`, `htpasswd -s`) are read too, since those are
/// what an nginx `auth_basic` file holds when basic auth moves from nginx into the
/// registry; their users are named by ``weak`` so they can be given bcrypt passwords.
/// Other lines (crypt, plain text) are kept, so rewriting the file never loses them, and
/// reported by ``unusable``; so are comments and blank lines, where they were, as Apache's
/// `htpasswd` keeps them.
public struct HtpasswdFile: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var user: String
        public var hash: String
    }

    /// A line of the file as it is written back: a user's entry, or a line that is none.
    enum Line: Sendable, Equatable {
        case entry(user: String)
        case verbatim(String)
    }

    public private(set) var entries: [Entry] = []
    /// The file's lines in order, so a rewrite keeps comments and blank lines in place.
    private var lines: [Line] = []

    public init() {}

    public init(parsing text: String) {
        // `\r\n` is one Character, a newline like `\n`. A final line break ends the last
        // line; it does not start an empty one.
        var split = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        if split.last?.isEmpty == true { split.removeLast() }
        // Names seen so far, so a file of many users parses in linear time; only a repeated
        // name (rare) costs a scan.
        var seen = Set<String>()
        for line in split {
            // Trimmed as Go's `strings.TrimSpace` trims in distribution's reader: scalars
            // with Unicode's White_Space property. Foundation's `.whitespaces` also took a
            // leading U+200B (a space in old Unicode tables), so such a name, which
            // `htpasswd` writes, did not read back.
            let trimmed = Self.trimmingWhiteSpace(line)
            // The colon is found among scalars, not characters: a name ending in a mark that
            // joins what follows (U+0600, a prepended concatenation mark) would otherwise
            // swallow the colon into its grapheme and the line would not read as an entry.
            let scalars = trimmed.unicodeScalars
            guard !trimmed.isEmpty, scalars.first != "#", let colon = scalars.firstIndex(of: ":") else {
                lines.append(.verbatim(String(line)))
                continue
            }
            let user = String(scalars[..<colon])
            let hash = String(scalars[scalars.index(after: colon)...])
            guard !user.isEmpty else {
                lines.append(.verbatim(String(line)))
                continue
            }
            // A later line for the same user replaces the earlier one, in its place.
            if !seen.insert(user).inserted {
                entries.removeAll { $0.user == user }
                lines.removeAll { $0 == .entry(user: user) }
            }
            entries.append(Entry(user: user, hash: hash))
            lines.append(.entry(user: user))
        }
    }

    /// `text` without the scalars at either end that have Unicode's White_Space property.
    static func trimmingWhiteSpace(_ text: Substring) -> String {
        let scalars = text.unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[start...last])
    }

    /// Users whose hash is of no kind Pier reads, and so can never log in.
    public var unusable: [String] {
        entries.filter { !Self.isReadable($0.hash) }.map(\.user)
    }

    /// Users who log in with a weak hash (MD5 or SHA-1, fast to guess from a stolen file).
    public var weak: [String] {
        entries.filter { Self.isReadable($0.hash) && !Self.isBcrypt($0.hash) }.map(\.user)
    }

    public var users: [String] { entries.map(\.user) }

    public func hash(for user: String) -> String? {
        entries.first { $0.user == user }?.hash
    }

    /// Sets the hash for `user`, adding the user when new.
    public mutating func set(user: String, hash: String) {
        if let index = entries.firstIndex(where: { $0.user == user }) {
            entries[index].hash = hash
        } else {
            entries.append(Entry(user: user, hash: hash))
            lines.append(.entry(user: user))
        }
    }

    /// Removes `user`; false when there was no such user.
    @discardableResult
    public mutating func remove(user: String) -> Bool {
        let before = entries.count
        entries.removeAll { $0.user == user }
        lines.removeAll { $0 == .entry(user: user) }
        return entries.count != before
    }

    public var text: String {
        // One lookup table, not a scan of the entries per line: a file of many users is
        // written in linear time.
        let hashes = Dictionary(entries.map { ($0.user, $0.hash) }, uniquingKeysWith: { _, last in last })
        return lines.map { line in
            switch line {
            case .entry(let user): "\(user):\(hashes[user] ?? "")\n"
            case .verbatim(let text): text + "\n"
            }
        }.joined()
    }

    /// Whether a user name can be written to the file: no colon, no line break, no space.
    public static func isValidUser(_ user: String) -> Bool {
        !user.isEmpty && user.count <= 255 && !user.contains { $0 == ":" || $0.isNewline || $0.isWhitespace }
    }

    /// A bcrypt hash's cost (`$2y$05$…` → 5); nil for anything but a well-formed bcrypt
    /// hash.
    static func bcryptCost(of hash: String) -> Int? {
        guard isBcrypt(hash) else { return nil }
        return Int(String(decoding: hash.utf8.dropFirst(4).prefix(2), as: UTF8.self))
    }

    /// The highest bcrypt cost among the entries; nil when none is bcrypt.
    public var dearestCost: Int? {
        entries.compactMap { Self.bcryptCost(of: $0.hash) }.max()
    }

    /// Users whose bcrypt cost is above `cost`.
    public func users(costlierThan cost: Int) -> [String] {
        entries.filter { (Self.bcryptCost(of: $0.hash) ?? 0) > cost }.map(\.user)
    }

    /// Whether `hash` is a whole bcrypt hash: `$2a$`, `$2b$` or `$2y$`, a cost of 4 to 31,
    /// `$`, and 53 characters of bcrypt's alphabet. A hash with the prefix and anything
    /// else is no bcrypt: the C implementation refuses it before any round, so checking it
    /// would answer at once and tell that its user exists.
    public static func isBcrypt(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]), bytes[3] == UInt8(ascii: "$"),
              bytes[6] == UInt8(ascii: "$"),
              let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self)), (4...31).contains(cost)
        else { return false }
        return bytes[7...].allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                false
            }
        }
    }

    /// Whether ``verify(_:hash:)`` can check a password against `hash`.
    static func isReadable(_ hash: String) -> Bool {
        isBcrypt(hash) || hash.hasPrefix(ApacheMD5Crypt.magic) || hash.hasPrefix(shaPrefix)
    }

    static let shaPrefix = "{SHA}"

    /// bcrypt-hashes a password the way `htpasswd -B` does (`$2y$`, which is the same
    /// algorithm as `$2b$`; the prefix only tells readers which implementation wrote it).
    /// Slow on purpose: call it off the event loops.
    public static func hashPassword(_ password: String, cost: Int = 10) -> String {
        let hash = Bcrypt.hash(password, cost: UInt8(clamping: min(max(cost, 4), 31)))
        return hash.hasPrefix("$2b$") ? "$2y$" + hash.dropFirst(4) : hash
    }

    /// Checks a password against a bcrypt hash of any of the three prefixes, or an Apache
    /// MD5 or SHA-1 one. Slow on purpose for bcrypt: call it off the event loops.
    public static func verify(_ password: String, hash: String) -> Bool {
        if hash.hasPrefix(ApacheMD5Crypt.magic) { return ApacheMD5Crypt.verify(password, hash: hash) }
        if hash.hasPrefix(shaPrefix) {
            let expected = shaPrefix + Data(Insecure.SHA1.hash(data: Array(password.utf8))).base64EncodedString()
            return ApacheMD5Crypt.constantTimeEqual(Array(expected.utf8), Array(hash.utf8))
        }
        guard isBcrypt(hash) else { return false }
        // The C implementation knows `$2a$`/`$2b$` only; `$2y$` is the same algorithm.
        let normalized = hash.hasPrefix("$2y$") ? "$2b$" + hash.dropFirst(4) : hash
        return Bcrypt.verify(password, hash: normalized)
    }
}
