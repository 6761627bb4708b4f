public import Net

/// The reverse proxies (`http.trustedproxies`) whose word on the client's address is taken.
///
/// Behind nginx every connection comes from nginx, so failures would be counted against
/// one address shared by everyone. `X-Forwarded-For` says who the client was, but anyone
/// can send that header: it is believed only when the connection comes from a listed proxy,
/// and read from the right, skipping listed proxies, so the first address no trusted proxy
/// vouches for is the client's and whatever a client wrote further left is ignored.
public struct TrustedProxies: Sendable, Equatable {
    /// Which header the proxies write. Only that one is read: a proxy passes the other
    /// through as the client sent it, so reading both would let a client pick its address.
    public enum Header: String, Sendable {
        /// `X-Forwarded-For` (nginx, HAProxy's `forwardfor`, Traefik, cloud load balancers).
        case xForwardedFor = "x-forwarded-for"
        /// RFC 7239's `Forwarded` (`for=`).
        case forwarded = "forwarded"
    }

    let ranges: AddressRanges
    /// The header the trusted proxies write.
    public let header: Header

    /// No proxy is trusted: the connection's address is the client's.
    public static let none = TrustedProxies(ranges: .empty)

    init(ranges: AddressRanges, header: Header = .xForwardedFor) {
        self.ranges = ranges
        self.header = header
    }

    /// Reads addresses and CIDR ranges (`10.0.0.0/8`, `::1`, `fd00::/8`); throws naming the
    /// first entry that is neither.
    public init(parsing entries: [String], header: Header = .xForwardedFor) throws(AddressRanges.InvalidEntry) {
        self.header = header
        self.ranges = try AddressRanges(parsing: entries)
    }

    /// An entry of `http.trustedproxies` that is not an address or a range.
    public typealias InvalidEntry = AddressRanges.InvalidEntry

    /// Whether `address` (an IP address as text) is one of the trusted proxies.
    public func contains(_ address: some StringProtocol) -> Bool {
        ranges.contains(address)
    }

    /// The client's address: `peer` unless it is a trusted proxy, then the right-most
    /// address of the configured header (`X-Forwarded-For`, or `Forwarded`'s `for=`) that is
    /// not a trusted proxy. The other header is ignored.
    public func client(peer: String, forwardedFor: String?, forwarded: String?) -> String {
        guard contains(peer) else { return peer }
        let hops: [String]
        switch header {
        case .xForwardedFor:
            guard let forwardedFor else { return peer }
            hops = forwardedFor.split(separator: ",").map { Self.bareAddress($0) }
        case .forwarded:
            guard let forwarded else { return peer }
            hops = Self.forwardedFor(forwarded)
        }
        var client = peer
        for hop in hops.reversed() {
            // Something that is not an address cannot be counted against: stop at the last
            // address a trusted proxy vouched for.
            guard Self.addressBytes(hop) != nil else { return client }
            client = hop
            if !contains(hop) { return hop }
        }
        return client
    }

    /// The `for=` values of a `Forwarded` header (RFC 7239), left to right.
    static func forwardedFor(_ header: String) -> [String] {
        header.split(separator: ",").compactMap { element in
            for pair in element.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingSpaces().lowercased() == "for" else { continue }
                return bareAddress(parts[1])
            }
            return nil
        }
    }

    /// An address without quotes, brackets or port: `"[2001:db8::1]:4711"` → `2001:db8::1`,
    /// `192.0.2.1:80` → `192.0.2.1`.
    static func bareAddress(_ text: some StringProtocol) -> String {
        var value = Substring(text).trimmingSpaces()
        if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
        if value.hasPrefix("["), let close = value.firstIndex(of: "]") {
            return String(value[value.index(after: value.startIndex)..<close])
        }
        // One colon: IPv4 with a port. More: a bare IPv6 address.
        if value.filter({ $0 == ":" }).count == 1, let colon = value.firstIndex(of: ":") {
            return String(value[..<colon])
        }
        return String(value)
    }

    static func addressBytes(_ text: String) -> [UInt8]? { AddressRanges.addressBytes(text) }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var value = self
        while value.first == " " || value.first == "\t" { value.removeFirst() }
        while value.last == " " || value.last == "\t" { value.removeLast() }
        return value
    }
}
