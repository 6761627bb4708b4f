/// One `type:name:actions` scope of distribution's token specification
/// (`repository:team/app:pull,push`, `registry:catalog:*`).
///
/// Actions are kept as words rather than ``AccessActions`` so a scope naming an action
/// Pier does not know still round-trips into a token unchanged.
public struct AccessScope: Sendable, Hashable, CustomStringConvertible {
    public var type: String
    public var name: String
    public var actions: [String]

    public init(type: String, name: String, actions: [String]) {
        self.type = type
        self.name = name
        self.actions = actions
    }

    /// A repository scope with the given actions.
    public static func repository(_ name: String, _ actions: AccessActions) -> AccessScope {
        AccessScope(type: "repository", name: name, actions: actions.words)
    }

    /// The scope the catalog needs.
    public static let catalog = AccessScope(type: "registry", name: "catalog", actions: ["*"])

    /// Parses `type:name:actions`. The name may itself hold a colon only as a port in a
    /// registry host, so the type is split off first and the actions last.
    public init?(parsing text: some StringProtocol) {
        guard let first = text.firstIndex(of: ":"), let last = text.lastIndex(of: ":"), first < last else { return nil }
        var type = String(text[..<first])
        // `repository(plugin)` is a resource class: the type is what precedes it.
        if let paren = type.firstIndex(of: "(") { type = String(type[..<paren]) }
        let name = String(text[text.index(after: first)..<last])
        let actions = String(text[text.index(after: last)...]).split(separator: ",").map(String.init)
        guard !type.isEmpty, !name.isEmpty else { return nil }
        self.init(type: type, name: name, actions: actions)
    }

    /// Parses the space-separated scopes of one `scope` parameter.
    public static func parseList(_ text: some StringProtocol) -> [AccessScope] {
        text.split(separator: " ").compactMap { AccessScope(parsing: $0) }
    }

    /// The actions Pier knows among ``actions``.
    public var knownActions: AccessActions {
        actions.reduce(into: AccessActions()) { result, word in
            if let action = AccessActions(word: word) { result.formUnion(action) }
        }
    }

    public var description: String { "\(type):\(name):\(actions.joined(separator: ","))" }
}
