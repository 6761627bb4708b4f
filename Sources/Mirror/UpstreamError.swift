/// Why an upstream could not give what was asked, in the terms the mirror decides by:
/// an outage lets it serve a stale copy, a refusal or a missing object does not.
public struct UpstreamError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// No answer: refused or reset connections, timeouts, DNS.
        case unreachable
        /// An HTTP status the upstream answered with.
        case status(Int)
        /// The bytes were not what their digest or the protocol says.
        case invalid
    }

    public var kind: Kind
    /// The upstream's host.
    public var upstream: String
    public var message: String

    public init(_ kind: Kind, upstream: String, _ message: String) {
        self.kind = kind
        self.upstream = upstream
        self.message = message
    }

    /// Whether the upstream is down or overloaded (unreachable, 5xx, 429): the cases
    /// where a cached copy is better than nothing.
    public var isOutage: Bool {
        switch kind {
        case .unreachable: true
        case .status(let code): code >= 500 || code == 429
        case .invalid: false
        }
    }

    /// Whether the upstream says the object does not exist.
    public var isNotFound: Bool { kind == .status(404) }

    public var description: String { "upstream \(upstream): \(message)" }
}
