import Synchronization

/// The http-01 answers being offered right now: the plain listener serves
/// `/.well-known/acme-challenge/<token>` from here while an order is validated.
public final class HTTP01Challenges: Sendable {
    public static let pathPrefix = "/.well-known/acme-challenge/"
    private let answers = Mutex([String: String]())

    public init() {}

    /// The key authorization for `token`, nil when none is pending.
    public func answer(for token: some StringProtocol) -> String? {
        answers.withLock { $0[String(token)] }
    }

    func offer(token: String, keyAuthorization: String) {
        answers.withLock { $0[token] = keyAuthorization }
    }

    func withdraw(token: String) {
        _ = answers.withLock { $0.removeValue(forKey: token) }
    }
}
