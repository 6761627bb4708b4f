/// What a caller may do to a repository, in distribution's token vocabulary, so policies,
/// token scopes and route requirements speak the same words.
public struct AccessActions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let pull = AccessActions(rawValue: 1)
    public static let push = AccessActions(rawValue: 2)
    public static let delete = AccessActions(rawValue: 4)
    public static let all: AccessActions = [.pull, .push, .delete]

    /// Parses one action word; `*` means all of them, as in distribution's scopes.
    public init?(word: some StringProtocol) {
        switch word {
        case "pull": self = .pull
        case "push": self = .push
        case "delete": self = .delete
        case "*": self = .all
        default: return nil
        }
    }

    /// The words in canonical order (`pull,push,delete`), as challenges and tokens list them.
    public var words: [String] {
        var words = [String]()
        if contains(.pull) { words.append("pull") }
        if contains(.push) { words.append("push") }
        if contains(.delete) { words.append("delete") }
        return words
    }
}
