/// Why obtaining a certificate failed, with the ACME server's own problem text when it
/// sent one (RFC 8555 §6.7), so an operator can act on it.
public struct ACMEError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    /// The problem type URN, e.g. `urn:ietf:params:acme:error:badNonce`.
    public var type: String?
    /// The challenge whose validation failed, when that is why: the next attempt prefers
    /// another one the listeners can answer.
    public var challenge: ACMEChallenge?

    public init(_ reason: String, type: String? = nil, challenge: ACMEChallenge? = nil) {
        self.reason = reason
        self.type = type
        self.challenge = challenge
    }

    public var description: String { type.map { "\(reason) (\($0))" } ?? reason }
}
