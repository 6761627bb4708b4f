/// Which URLs a pushed manifest's layers may name (`validation.manifests.urls`).
///
/// A layer's `urls` send clients elsewhere for its bytes: containerd and Docker fetch a
/// foreign layer from the first URL that answers, from inside the network they run in. A
/// registry that accepts any URL lets whoever may push point every puller at any host, so
/// distribution accepts none unless told otherwise, and so does Pier: `allow` and `deny`
/// are regular expressions (matched anywhere in the URL, as Go's `MatchString`, with RE2's
/// ASCII classes and word boundaries), a URL must match some `allow` entry (when there are
/// any) and no `deny` entry, and it must be `http` or `https` with a host and without a
/// fragment. `validation.disabled: true` drops the lists, not that last rule, as in
/// distribution. Stricter than distribution, so that a pattern means what it says: a URL
/// with user information (`https://allowed.example@elsewhere/`, which passes a prefix
/// allowed by distribution) or a character outside ASCII is refused, and a pattern that
/// fails to run refuses rather than lets through.
public struct ManifestURLPolicy: Sendable, Equatable {
    /// Why a configured expression cannot be used.
    public struct InvalidPattern: Error, Equatable {
        /// The pattern as configured, so the error names the list entry to fix.
        public let pattern: String
        /// What the regular-expression parser said of it.
        public let reason: String
    }

    enum Rule: Sendable, Equatable {
        /// Neither list configured: no URL (distribution's default).
        case none
        /// `validation.disabled`: any http or https URL.
        case any
        /// The patterns as configured, each compiled where it is used: a `Regex` made at
        /// run time is not `Sendable`.
        case lists(allow: [String], deny: [String])
    }

    let rule: Rule

    /// No URL at all: distribution's default, with neither list set.
    public static let denyAll = ManifestURLPolicy(rule: .none)
    /// Any http or https URL (`validation.disabled: true`).
    public static let anyHTTPURL = ManifestURLPolicy(rule: .any)

    private init(rule: Rule) {
        self.rule = rule
    }

    /// The policy of these lists; both empty is ``denyAll``, as in distribution. Throws
    /// naming the first pattern that does not compile.
    public init(allow: [String], deny: [String]) throws(InvalidPattern) {
        for pattern in allow + deny {
            do {
                _ = try Self.compile(pattern)
            } catch {
                throw InvalidPattern(pattern: pattern, reason: "\(error)")
            }
        }
        rule = allow.isEmpty && deny.isEmpty ? .none : .lists(allow: allow, deny: deny)
    }

    /// Why `url` may not be named by a pushed layer; nil when it may.
    public func refusal(of url: String) -> String? {
        if rule == .none { return "no URL is accepted unless validation.manifests.urls.allow names it" }
        if url.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "it holds a control character" }
        if url.unicodeScalars.contains(where: { !$0.isASCII }) { return "it holds a character outside ASCII (percent-encode it)" }
        let lowered = url.lowercased()
        guard let scheme = ["http://", "https://"].first(where: lowered.hasPrefix),
              let authority = url.dropFirst(scheme.count).split(omittingEmptySubsequences: false, whereSeparator: { "/?#".contains($0) }).first,
              !authority.isEmpty
        else { return "only http and https URLs with a host are accepted" }
        if authority.contains("@") { return "it carries user information" }
        if let hash = url.firstIndex(of: "#"), url.index(after: hash) != url.endIndex { return "it has a fragment" }
        guard case .lists(let allow, let deny) = rule else { return nil }
        // The patterns are not named in the answer: they may name internal hosts.
        if !allow.isEmpty, !allow.contains(where: { Self.matches($0, url) == true }) { return "it matches no validation.manifests.urls.allow entry" }
        if deny.contains(where: { Self.matches($0, url) != false }) { return "it matches a validation.manifests.urls.deny entry" }
        return nil
    }

    /// A pattern compiled to mean what it means to Go's RE2: ASCII `\w`, `\d`, `\s`, simple
    /// word boundaries, and matching by Unicode scalar rather than by character.
    private static func compile(_ pattern: String) throws -> Regex<AnyRegexOutput> {
        try Regex(pattern)
            .wordBoundaryKind(.simple)
            .matchingSemantics(.unicodeScalar)
            .asciiOnlyWordCharacters()
            .asciiOnlyDigits()
            .asciiOnlyWhitespace()
    }

    /// Whether `pattern` matches anywhere in `url`; nil when it cannot be run (which an
    /// allow entry counts as no match and a deny entry as a match).
    private static func matches(_ pattern: String, _ url: String) -> Bool? {
        do {
            return try compile(pattern).firstMatch(in: url) != nil
        } catch {
            return nil
        }
    }
}
