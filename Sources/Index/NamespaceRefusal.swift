/// Why a name cannot become a new user's or organisation's namespace.
///
/// Callers answer the two kinds differently: a malformed name is the request's fault, a
/// well-formed one already taken (by a user, an organisation or repositories left under
/// it) conflicts with what is there, and only the index knows which it found.
public struct NamespaceRefusal: Error, Sendable, Equatable {
    /// What the caller is told, in words they can act on.
    public let reason: String
    /// Whether the name is well formed but taken (HTTP's 409) rather than malformed (400).
    public let isConflict: Bool

    /// A name without a namespace's shape.
    static func malformed(_ reason: String) -> NamespaceRefusal { NamespaceRefusal(reason: reason, isConflict: false) }

    /// A well-formed name that is someone's, or something's, already.
    static func taken(_ reason: String) -> NamespaceRefusal { NamespaceRefusal(reason: reason, isConflict: true) }
}
