/// Why a bearer token was refused; the message is safe to return to the client.
public struct TokenError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
