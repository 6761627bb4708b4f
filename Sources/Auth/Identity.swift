/// Who is calling, once authentication is done.
public enum Identity: Sendable, Hashable {
    case anonymous
    case user(String)

    /// The user name, nil when anonymous.
    public var userName: String? {
        if case .user(let name) = self { return name }
        return nil
    }
}
