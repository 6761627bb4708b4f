import Foundation

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
    /// The codes of the spec's error body the upstream answered with (`NAME_UNKNOWN`,
    /// `MANIFEST_UNKNOWN`, …), in its order: two 404s can mean different things to a
    /// client (a repository missing against an API missing), and the code tells them apart.
    public var codes: [String]

    public init(_ kind: Kind, upstream: String, _ message: String, codes: [String] = []) {
        self.kind = kind
        self.upstream = upstream
        self.message = message
        self.codes = codes
    }

    /// The codes of a spec error body (`{"errors":[{"code":…}]}`); none for any other body.
    public static func codes(in body: some Collection<UInt8>) -> [String] {
        (try? JSONDecoder().decode(ErrorBody.self, from: Data(body)))?.errors.compactMap(\.code) ?? []
    }

    /// The spec's error body, as far as the codes.
    private struct ErrorBody: Decodable {
        struct Entry: Decodable { var code: String? }
        var errors: [Entry]
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
